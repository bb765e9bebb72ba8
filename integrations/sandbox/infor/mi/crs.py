"""CRS610MI (customers), CRS630MI (chart of accounts), CRS175MI (general codes)."""
from __future__ import annotations

from ..models import Account, CodeEntry, Customer
from ..state import change_stamp, code_exists, series_next
from .runtime import Context, MIError, Transaction, today

ADDRESS = {"CUA1": 36, "CUA2": 36, "CUA3": 36, "CUA4": 36, "TOWN": 20, "PONO": 10, "CSCD": 3, "ECAR": 2}
CONTACT = {"PHNO": 16, "PHN2": 16, "TFNO": 16, "MAIL": 50, "YREF": 30, "YRE2": 30}
BASIC_FIELDS = {"CUNM": "cunm", "CUA1": "cua1", "CUA2": "cua2", "CUA3": "cua3", "CUA4": "cua4", "TOWN": "town",
                "PONO": "pono", "CSCD": "cscd", "PHNO": "phno", "MAIL": "mail", "YREF": "yref", "STAT": "stat"}
CUSTOMER_STATUSES = {"10", "20", "90"}


def customer_get(cuno: str) -> Customer:
    customer = Customer.objects.filter(cuno=cuno).first()
    if customer is None:
        raise MIError(f"Customer number {cuno} does not exist", code="XIM0002", field="CUNO")
    return customer


def customer_record(c: Customer) -> dict:
    return {
        "CONO": c.cono, "CUNO": c.cuno, "CUNM": c.cunm, "CUA1": c.cua1, "CUA2": c.cua2, "CUA3": c.cua3,
        "CUA4": c.cua4, "TOWN": c.town, "PONO": c.pono, "CSCD": c.cscd, "PHNO": c.phno, "MAIL": c.mail,
        "YREF": c.yref, "CUTP": c.cutp, "STAT": c.stat, "CUCL": c.cucl, "CUCD": c.cucd, "PYCD": c.pycd,
        "TEPY": c.tepy, "RGDT": c.rgdt, "LMDT": c.lmdt, "LMTS": str(c.lmts),
    }


def _touch(customer: Customer) -> None:
    customer.lmdt, customer.lmts = today(), change_stamp()


def _check_code(stco: str, value: str, field: str, what: str) -> None:
    if value and not code_exists(stco, value):
        raise MIError(f"{what} {value} does not exist", code="WCU0203", field=field)


def add(ctx: Context, rec: dict) -> list[dict]:
    _check_code("CUTM", rec["CUTM"], "CUTM", "Customer template")
    status = rec.get("STAT") or "20"
    if status not in CUSTOMER_STATUSES:
        raise MIError(f"Customer status {status} is invalid", code="WST0103", field="STAT")
    cuno = rec.get("CUNO") or str(series_next("CUNO"))
    if Customer.objects.filter(cuno=cuno).exists():
        raise MIError(f"Customer number {cuno} already exists", code="XRE0101", field="CUNO")
    # The template supplies what Add cannot set (group, currency, payment method, terms).
    from_template = {"cucl": "RET" if rec["CUTM"] == "WEB" else "", "cucd": "USD", "pycd": "BT", "tepy": "30"}
    customer = Customer(
        cuno=cuno, cutm=rec["CUTM"], cutp=rec.get("CUTP") or "0", stat=status, rgdt=today(), **from_template,
        **{attr: rec[key] for key, attr in BASIC_FIELDS.items() if key in rec and key != "STAT"},
    )
    _touch(customer)
    customer.save()
    return [{"CUNO": cuno}]


def chg_basic_data(ctx: Context, rec: dict) -> list[dict]:
    customer = customer_get(rec["CUNO"])
    if "STAT" in rec and rec["STAT"] and rec["STAT"] not in CUSTOMER_STATUSES:
        raise MIError(f"Customer status {rec['STAT']} is invalid", code="WST0103", field="STAT")
    for key, attr in BASIC_FIELDS.items():
        if rec.get(key):  # blank input = leave the value as it is (M3 Chg semantics)
            setattr(customer, attr, rec[key])
    _touch(customer)
    customer.save()
    return []


def chg_order_info(ctx: Context, rec: dict) -> list[dict]:
    customer = customer_get(rec["CUNO"])
    _check_code("CUCL", rec.get("CUCL", ""), "CUCL", "Customer group")
    _check_code("TEPY", rec.get("TEPY", ""), "TEPY", "Payment terms")
    for key in ("CUCL", "TEPY"):
        if rec.get(key):
            setattr(customer, key.lower(), rec[key])
    _touch(customer)
    customer.save()
    return []


def chg_financial(ctx: Context, rec: dict) -> list[dict]:
    customer = customer_get(rec["CUNO"])
    _check_code("PYCD", rec.get("PYCD", ""), "PYCD", "Payment method")
    cucd = rec.get("CUCD", "")
    if cucd and (len(cucd) != 3 or not cucd.isalpha()):
        raise MIError(f"Currency {cucd} does not exist", code="WCU0301", field="CUCD")
    for key in ("CUCD", "PYCD"):
        if rec.get(key):
            setattr(customer, key.lower(), rec[key].upper() if key == "CUCD" else rec[key])
    _touch(customer)
    customer.save()
    return []


def get_basic_data(ctx: Context, rec: dict) -> list[dict]:
    return [customer_record(customer_get(rec["CUNO"]))]


def lst_by_number(ctx: Context, rec: dict) -> list[dict]:
    """From CUNO onwards; with LMTS only customers changed at or after that stamp (polling)."""
    customers = Customer.objects.filter(cuno__gte=rec.get("CUNO", "")).order_by("cuno")
    if rec.get("LMTS"):
        customers = customers.filter(lmts__gte=int(rec["LMTS"]))
    return [customer_record(c) for c in customers]


def lst_account_id(ctx: Context, rec: dict) -> list[dict]:
    accounts = Account.objects.filter(aitp=rec["AITP"], aitm__gte=rec.get("AITM", "")).order_by("aitm")
    return [{"AITP": a.aitp, "AITM": a.aitm, "TX40": a.tx40, "TX15": a.tx40[:15], "AICL": a.aicl,
             "LCCD": "1" if a.blocked else "0"} for a in accounts]


def lst_general_code(ctx: Context, rec: dict) -> list[dict]:
    entries = CodeEntry.objects.filter(stco=rec["STCO"], stky__gte=rec.get("STKY", "")).order_by("stky")
    return [{"STCO": e.stco, "STKY": e.stky, "TX15": e.tx15, "TX40": e.tx40} for e in entries]


def get_general_code(ctx: Context, rec: dict) -> list[dict]:
    entry = CodeEntry.objects.filter(stco=rec["STCO"], stky=rec["STKY"]).first()
    if entry is None:
        raise MIError(f"Record {rec['STCO']}/{rec['STKY']} does not exist", code="XRE0103", field="STKY")
    return [{"STCO": entry.stco, "STKY": entry.stky, "TX15": entry.tx15, "TX40": entry.tx40}]


CRS610MI = {
    "Add": Transaction(add, {"CUTM": 10, "CUNM": 36, "CUA1": 36},
                       {"CONO": 3, "DIVI": 3, "LNCD": 2, "CUNO": 10, "CUTP": 1, "STAT": 2, "ALCU": 10, **ADDRESS,
                        **CONTACT}),
    "ChgBasicData": Transaction(chg_basic_data, {"CUNO": 10},
                                {"CONO": 3, "CUNM": 36, "STAT": 2, "CUTP": 1, **ADDRESS, **CONTACT}),
    "ChgOrderInfo": Transaction(chg_order_info, {"CUNO": 10},
                                {"CONO": 3, "CUCL": 3, "TEPY": 3, "ORTP": 3, "WHLO": 3, "PYNO": 10}),
    "ChgFinancial": Transaction(chg_financial, {"CUNO": 10},
                                {"CONO": 3, "CUCD": 3, "PYCD": 3, "VTCD": 2, "VRNO": 16, "CRLM": 17, "BLCD": 1,
                                 "TEPY": 3}),
    "GetBasicData": Transaction(get_basic_data, {"CUNO": 10}, {"CONO": 3}),
    "LstByNumber": Transaction(lst_by_number, {}, {"CONO": 3, "CUNO": 10, "LMTS": 18}),
}
CRS630MI = {"LstAccountID": Transaction(lst_account_id, {"AITP": 1}, {"CONO": 3, "DIVI": 3, "AITM": 8})}
CRS175MI = {
    "LstGeneralCode": Transaction(lst_general_code, {"STCO": 10}, {"CONO": 3, "DIVI": 3, "STKY": 15}),
    "GetGeneralCode": Transaction(get_general_code, {"STCO": 10, "STKY": 15}, {"CONO": 3, "DIVI": 3}),
}

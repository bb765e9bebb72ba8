"""MNS150MI (the signed-in user's company and division; the pre-flight checks ask it) and MMS200MI
(item master: get, list by number, add, change basic data; what generic flows of items use)."""
from __future__ import annotations

from ..models import Item
from ..state import change_stamp
from .runtime import COMPANY, DIVISION, Context, MIError, Transaction, today

# MMS200MI input field → Item attribute (what AddItmBasic and UpdItmBasic may set besides ITNO)
ITEM_FIELDS = {"ITDS": "itds", "FUDS": "fuds", "UNMS": "unms", "ITTY": "itty", "STAT": "stat", "ITGR": "itgr",
               "ITCL": "itcl"}
ITEM_INPUT = {"ITDS": 30, "FUDS": 60, "UNMS": 3, "ITTY": 3, "STAT": 2, "ITGR": 5, "ITCL": 5}
ITEM_STATUSES = {"10", "20", "50", "80", "90"}


def get_user_data(ctx: Context, rec: dict) -> list[dict]:
    if ctx.divi != DIVISION:
        raise MIError(f"Division {ctx.divi} does not exist in company {ctx.cono}", code="XDI0001", field="DIVI")
    return [{"USID": "LEDGERLINK", "CONO": COMPANY, "DIVI": DIVISION, "LANC": "GB", "DTFM": "YMD"}]


def _item(itno: str) -> Item:
    item = Item.objects.filter(itno=itno).first()
    if item is None:
        raise MIError(f"Item number {itno} does not exist", code="WIT0103", field="ITNO")
    return item


def _item_record(item: Item) -> dict:
    return {"CONO": COMPANY, "ITNO": item.itno, "ITDS": item.itds, "FUDS": item.fuds, "UNMS": item.unms,
            "ITTY": item.itty, "STAT": item.stat, "ITGR": item.itgr, "ITCL": item.itcl, "LMDT": item.lmdt,
            "LMTS": str(item.lmts)}


def _item_values(item: Item, rec: dict) -> None:
    status = rec.get("STAT")
    if status and status not in ITEM_STATUSES:
        raise MIError(f"Status {status} is invalid", code="WST0103", field="STAT")
    for key, attr in ITEM_FIELDS.items():
        if key in rec:
            setattr(item, attr, rec[key])
    item.lmdt, item.lmts = today(), change_stamp()


def get_itm_basic(ctx: Context, rec: dict) -> list[dict]:
    return [_item_record(_item(rec["ITNO"]))]


def lst_by_number(ctx: Context, rec: dict) -> list[dict]:
    """From ITNO onwards, in item number order."""
    return [_item_record(i) for i in Item.objects.filter(itno__gte=rec.get("ITNO", "")).order_by("itno")]


def add_itm_basic(ctx: Context, rec: dict) -> list[dict]:
    if Item.objects.filter(itno=rec["ITNO"]).exists():
        raise MIError(f"Item number {rec['ITNO']} already exists", code="WIT0101", field="ITNO")
    item = Item(itno=rec["ITNO"])
    _item_values(item, rec)
    item.save()
    return [{"ITNO": item.itno}]


def upd_itm_basic(ctx: Context, rec: dict) -> list[dict]:
    item = _item(rec["ITNO"])
    _item_values(item, rec)
    item.save()
    return []


MNS150MI = {"GetUserData": Transaction(get_user_data, {}, {})}
MMS200MI = {
    "GetItmBasic": Transaction(get_itm_basic, {"ITNO": 15}, {"CONO": 3}),
    "LstByNumber": Transaction(lst_by_number, {}, {"CONO": 3, "ITNO": 15}),
    "AddItmBasic": Transaction(add_itm_basic, {"ITNO": 15, "ITDS": 30},
                               {"CONO": 3, **{k: v for k, v in ITEM_INPUT.items() if k != "ITDS"}}),
    "UpdItmBasic": Transaction(upd_itm_basic, {"ITNO": 15}, {"CONO": 3, **ITEM_INPUT}),
}

"""GLS840MI: the generic GL interface (field-based lines, usage type 2 in GLS850).

Amounts (ACAM) are signed: debit positive, credit negative; DBCR, when sent, must agree.
CtrlBatch ("run option 6") validates: known, open accounts and a batch that balances.
UpdBatch ("run option 9") posts a controlled batch and gives it a voucher number.
"""
from __future__ import annotations

from decimal import Decimal

from ..models import Account, GlBatch, GlLine
from ..state import code_exists, series_next
from .runtime import Context, MIError, Transaction, decimal_in, money

DIMENSIONS = {f"AIT{n}": 8 for n in range(1, 8)}


def _batch(key1: str) -> GlBatch:
    batch = GlBatch.objects.filter(key1=key1).first()
    if batch is None:
        raise MIError(f"Batch {key1} does not exist", code="XRE0103", field="KEY1")
    if batch.stage == GlBatch.Stage.UPDATED:
        raise MIError(f"Batch {key1} is already updated (voucher {batch.vono})", code="GL84003", field="KEY1")
    return batch


def add_batch_head(ctx: Context, rec: dict) -> list[dict]:
    if not code_exists("INTN", rec["INTN"]):
        raise MIError(f"Interface {rec['INTN']} is not defined in GLS850", code="GL84010", field="INTN")
    if GlBatch.objects.filter(key1=rec["KEY1"]).exists():
        raise MIError(f"Batch {rec['KEY1']} already exists", code="XRE0101", field="KEY1")
    GlBatch.objects.create(key1=rec["KEY1"], intn=rec["INTN"], desc=rec["DESC"])
    return []


def add_batch_line_fld(ctx: Context, rec: dict) -> list[dict]:
    batch = _batch(rec["KEY1"])
    line_no = int(rec["LINE"])
    if batch.lines.filter(line=line_no).exists():
        raise MIError(f"Line {line_no} already exists in batch {batch.key1}", code="XRE0101", field="LINE")
    amount = decimal_in(rec, "ACAM")
    dbcr = rec.get("DBCR", "").upper()
    if dbcr not in ("", "D", "C") or (dbcr == "D" and amount < 0) or (dbcr == "C" and amount > 0):
        raise MIError(f"Debit/credit code '{rec.get('DBCR')}' does not match amount {money(amount)}", code="GL84011",
                      field="DBCR")
    GlLine.objects.create(
        batch=batch, line=line_no, inri=rec["INRI"], ait1=rec.get("AIT1", ""), ait2=rec.get("AIT2", ""),
        cucd=rec.get("CUCD", "").upper(), cuam=decimal_in(rec, "CUAM", rec.get("ACAM") or "0"), acam=amount,
        dbcr=dbcr, acdt=rec.get("ACDT", ""), vtcd=rec.get("VTCD", ""), vtxt=rec.get("VTXT", ""),
    )
    if batch.stage == GlBatch.Stage.CONTROLLED:  # a new line invalidates an earlier control run
        batch.stage = GlBatch.Stage.OPEN
        batch.save()
    return []


def ctrl_batch(ctx: Context, rec: dict) -> list[dict]:
    batch = _batch(rec["KEY1"])
    lines = list(batch.lines.all())
    if not lines:
        raise MIError(f"Batch {batch.key1} has no lines", code="GL84004", field="KEY1")
    accounts = {a.aitm: a for a in Account.objects.filter(aitp="1", aitm__in={line.ait1 for line in lines})}
    for line in lines:
        account = accounts.get(line.ait1)
        if account is None:
            raise MIError(f"Account {line.ait1 or '(blank)'} on line {line.line} does not exist", code="WAI0103",
                          field="AIT1")
        if account.blocked:
            raise MIError(f"Account {line.ait1} on line {line.line} is blocked", code="WAI0105", field="AIT1")
        if not line.acdt:
            raise MIError(f"Accounting date is missing on line {line.line}", code="WAC0101", field="ACDT")
    debit = sum((line.acam for line in lines if line.acam > 0), Decimal("0"))
    credit = -sum((line.acam for line in lines if line.acam < 0), Decimal("0"))
    if debit != credit:
        raise MIError(f"Batch {batch.key1} does not balance: debit {money(debit)}, credit {money(credit)}",
                      code="GL84001", field="ACAM")
    batch.stage = GlBatch.Stage.CONTROLLED
    batch.save()
    return [{"KEY1": batch.key1, "NBRL": str(len(lines))}]


def upd_batch(ctx: Context, rec: dict) -> list[dict]:
    batch = _batch(rec["KEY1"])
    if batch.stage != GlBatch.Stage.CONTROLLED:
        raise MIError(f"Batch {batch.key1} must be controlled (CtrlBatch) before it is updated", code="GL84002",
                      field="KEY1")
    batch.stage, batch.vono = GlBatch.Stage.UPDATED, str(series_next("VONO"))
    batch.save()
    return [{"KEY1": batch.key1, "VONO": batch.vono}]


GLS840MI = {
    "AddBatchHead": Transaction(add_batch_head, {"CONO": 3, "KEY1": 15, "INTN": 15, "DESC": 40},
                                {"DIVI": 3, "USID": 10}),
    "AddBatchLineFld": Transaction(add_batch_line_fld, {"KEY1": 15, "LINE": 7, "INRI": 2},
                                   {"CONO": 3, "DIVI": 3, **DIMENSIONS, "CUCD": 3, "CUAM": 17, "ACAM": 17, "DBCR": 1,
                                    "ACDT": 10, "VTCD": 2, "VTXT": 40, "ARAT": 12, "CRTP": 2, "VRNO": 16}),
    "CtrlBatch": Transaction(ctrl_batch, {"KEY1": 15}, {"CONO": 3, "DIVI": 3}),
    "UpdBatch": Transaction(upd_batch, {"KEY1": 15}, {"CONO": 3, "DIVI": 3}),
}

"""ARS200MI (AR ledger) and ARS040MI (batch customer payments).

ARS040 semantics are not published in full (reference §2.4 ❓). The simulator models the
documented outcome: a batch is created, lines are added per invoice, and ControlBatch
verifies the batch and updates it: each payment is allocated to its invoice, and an
invoice paid in full gets RECO = 9. An update run of an already updated batch is refused.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ..models import Invoice, PaymentBatch, PaymentLine
from ..state import code_exists
from .runtime import Context, MIError, Transaction, decimal_in, money, today


def ledger_record(invoice: Invoice) -> dict:
    return {
        "CUNO": invoice.customer.cuno, "YEA4": invoice.yea4, "JRNO": invoice.jrno, "JSNO": invoice.jsno,
        "CINO": invoice.ivno, "INYR": invoice.yea4, "TRCD": "10", "IVDT": invoice.ivdt, "DUDT": invoice.dudt,
        "CUCD": invoice.cucd, "CUAM": money(invoice.amount), "RECO": invoice.reco, "REDE": invoice.rede,
        "PYCD": invoice.pycd, "CUCL": invoice.customer.cucl,
    }


def lst_invoices(ctx: Context, rec: dict) -> list[dict]:
    # In invoice-date order, so IVDT (from that date onwards) continues a long list.
    invoices = Invoice.objects.select_related("customer").filter(customer__cuno=rec["CUNO"]).order_by(
        "ivdt", "yea4", "ivno")
    if rec.get("AAC0") == "1":
        invoices = invoices.exclude(reco="9")
    if rec.get("IVDT"):
        invoices = invoices.filter(ivdt__gte=rec["IVDT"])
    return [ledger_record(i) for i in invoices]


def get_invoice(ctx: Context, rec: dict) -> list[dict]:
    invoice = Invoice.objects.select_related("customer").filter(
        yea4=rec["YEA4"], jrno=rec["JRNO"], jsno=rec["JSNO"]).first()
    if invoice is None:
        raise MIError(f"Invoice with journal {rec['YEA4']}/{rec['JRNO']}/{rec['JSNO']} does not exist",
                      code="XRE0103", field="JRNO")
    last = invoice.payment_lines.order_by("-id").first()
    return [{**ledger_record(invoice), "PYTP": last.pytp if last else ""}]


def _open_batch(pbid: str) -> PaymentBatch:
    batch = PaymentBatch.objects.filter(pbid=str(int(pbid))).first()
    if batch is None:
        raise MIError(f"Payment batch {pbid} does not exist", code="XRE0103", field="PBID")
    if batch.stage == PaymentBatch.Stage.UPDATED:
        raise MIError(f"Payment batch {pbid} is already updated", code="AR04003", field="PBID")
    return batch


def add_batch_head(ctx: Context, rec: dict) -> list[dict]:
    pbid = str(int(rec["PBID"]))
    if not code_exists("BOPE", rec["BOPE"]):
        raise MIError(f"Batch payment type {rec['BOPE']} does not exist", code="WBO0203", field="BOPE")
    if PaymentBatch.objects.filter(pbid=pbid).exists():
        raise MIError(f"Payment batch {pbid} already exists", code="XRE0101", field="PBID")
    PaymentBatch.objects.create(pbid=pbid, bope=rec["BOPE"], baan=rec.get("BAAN", ""), acdt=rec.get("ACDT") or today())
    return []


def add_batch_line(ctx: Context, rec: dict) -> list[dict]:
    batch = _open_batch(rec["PBID"])
    if batch.lines.filter(trno=rec["TRNO"]).exists():
        raise MIError(f"Transaction {rec['TRNO']} already exists in batch {batch.pbid}", code="XRE0101", field="TRNO")
    invoice = Invoice.objects.filter(ivno=rec["CINO"], yea4=rec["INYR"], customer__cuno=rec["CUNO"]).first()
    if invoice is None:
        raise MIError(f"Invoice {rec['CINO']} of {rec['INYR']} does not exist for customer {rec['CUNO']}",
                      code="XRE0103", field="CINO")
    amount = decimal_in(rec, "PYAM")
    if amount <= 0:
        raise MIError("Payment amount must be greater than zero", code="WPY0101", field="PYAM")
    if rec.get("CUCD") and rec["CUCD"].upper() != invoice.cucd:
        raise MIError(f"Currency {rec['CUCD']} differs from the invoice currency {invoice.cucd}", code="WCU0305",
                      field="CUCD")
    if rec.get("PYTP") and not code_exists("PYTP", rec["PYTP"]):
        raise MIError(f"Payment type {rec['PYTP']} does not exist", code="WPY0203", field="PYTP")
    PaymentLine.objects.create(batch=batch, trno=rec["TRNO"], invoice=invoice, pyam=amount, pytp=rec.get("PYTP", ""),
                               cucd=invoice.cucd, lpdt=rec.get("LPDT") or batch.acdt, ckno=rec.get("CKNO", ""))
    return []


def control_batch(ctx: Context, rec: dict) -> list[dict]:
    batch = _open_batch(rec["PBID"])
    lines = list(batch.lines.select_related("invoice"))
    if not lines:
        raise MIError(f"Payment batch {batch.pbid} has no lines", code="AR04001", field="PBID")
    per_invoice: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        per_invoice[line.invoice_id] += line.pyam
    for line in lines:
        invoice = line.invoice
        if per_invoice[invoice.pk] > invoice.remaining:
            raise MIError(f"Payments of {money(per_invoice[invoice.pk])} exceed the open amount "
                          f"{money(invoice.remaining)} of invoice {invoice.ivno}", code="AR04002", field="PYAM")
    for line in lines:
        invoice = Invoice.objects.get(pk=line.invoice_id)
        invoice.paid += line.pyam
        if invoice.remaining == 0:
            invoice.reco, invoice.rede = "9", line.lpdt or today()
        invoice.save()
    batch.stage = PaymentBatch.Stage.UPDATED
    batch.save()
    return [{"PBID": batch.pbid, "NBRL": str(len(lines))}]


ARS200MI = {
    "LstInvoices": Transaction(lst_invoices, {"CUNO": 10}, {"CONO": 3, "DIVI": 3, "AAC0": 1, "IVDT": 10}),
    "GetInvoice": Transaction(get_invoice, {"YEA4": 4, "JRNO": 7, "JSNO": 7}, {"CONO": 3, "DIVI": 3}),
}
ARS040MI = {
    "AddBatchHead": Transaction(add_batch_head, {"PBID": 10, "BOPE": 3},
                                {"CONO": 3, "DIVI": 3, "BAAN": 10, "NADO": 10, "VONO": 8, "ACDT": 10, "BPYS": 1}),
    "AddBatchLine": Transaction(add_batch_line, {"PBID": 10, "TRNO": 7, "CINO": 15, "INYR": 4, "CUNO": 10, "PYAM": 17},
                                {"CONO": 3, "DIVI": 3, "PYNO": 10, "PYTP": 2, "CUCD": 3, "ARAT": 12, "LPDT": 10,
                                 "CKNO": 20, "CKST": 1, "IRNO": 10}),
    "ControlBatch": Transaction(control_batch, {"PBID": 10}, {"CONO": 3, "DIVI": 3}),
}

"""Flow 6: FreshBooks payment → Infor payment (ARS040MI batch line) against the matching invoice.

The paid FreshBooks invoice belongs to an order entity (Order-to-Cash chain) that also holds
the Infor sales order; the payment goes to that order's Infor invoice (OIS350MI), the open
one when there are several. Partial payments reduce the open amount; the invoice is
reconciled (RECO = 9) when fully paid — confirmed by reading the AR ledger back, not assumed.
The gateway (or FreshBooks payment type) becomes an Infor payment type by value table.

Each payment is its own batch, numbered ``payment_batch_base + payment id`` (≤ 10 digits), so
a retry reuses the batch and never pays twice. Flow: source = FreshBooks "payment", target =
Infor "payment"; settings: ``payment_batch_base`` (default 0), ``wait_for_invoice_seconds``
(default 900: how long to wait before retrying when Infor has not invoiced the order yet).
"""
from __future__ import annotations

from integrations.connectors.preflight import FlowRequirements

from datetime import datetime

from integrations.connectors.freshbooks.values import payment_reference
from integrations.errors import FatalError, RetryableError, SkippableError
from integrations.flows.toolkit.bindings import (
    binding_find,
    entity_binding_find,
    entity_link_ensure,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.values import decimal_of
from integrations.flows.payment_infor.settings import PAYMENT_INFOR_SETTINGS
from integrations.models import Entity


CKNO_LENGTH = 15  # ARS040MI AddBatchLine CKNO as our schema declares it (connectors/infor/schemas.py)


class PaymentInforFlow(BaseFlow):
    entity_kind = Entity.Kind.PAYMENT
    settings_spec = PAYMENT_INFOR_SETTINGS
    default_mapping_set = "freshbooks-payment-to-infor-payment"
    lock_target = True  # reads the payment, writes its own Infor batch: no wait for the payment → Opportunity flow
    requirements = FlowRequirements(freshbooks_scopes=("user:payments:read", "user:invoices:read"),
                                    infor_settings=("m3_payment_batch_type",))

    def fetch_source(self, item):
        payment = self.freshbooks_live("payments", item.source_id, "payment")
        invoice = binding_find(connection=self.freshbooks_connection.pk, object_type="invoice",
                               external_id=payment.get("invoiceid"))
        order = entity_binding_find(entity=invoice.entity_id if invoice else None,
                                    connection=self.infor_connection.pk, object_type="order")
        if order is None:
            raise SkippableError(f"FreshBooks invoice {payment.get('invoiceid')} has no Infor sales order, so there "
                                 "is no Infor invoice to pay.")
        payment["order_entity_id"] = order.entity_id
        payment["infor_order_number"] = order.external_id
        payment["infor_invoice"], payment["infor_customer_number"] = self._open_invoice(order.external_id, payment)
        return payment

    def _open_invoice(self, order_number: str, payment: dict) -> tuple[dict, str]:
        invoices = self.infor.list_invoices(order_number=order_number)
        if not invoices:
            raise RetryableError(f"Infor has not invoiced order {order_number} yet; the payment is recorded once it "
                                 "has.", retry_after=self.setting("wait_for_invoice_seconds"))
        open_ones = [i for i in invoices if i["remaining_amount"] > 0] or invoices
        chosen = open_ones[0]
        plain = {"invoice_number": chosen["invoice_number"], "year": chosen["year"], "amount": str(chosen["amount"]),
                 "remaining_amount": str(chosen["remaining_amount"]), "currency": chosen["currency"]}
        return plain, chosen["customer_number"]

    def map(self, item, source):
        payload = self.mapping_apply(source)
        amount, remaining = decimal_of(payload.get("PYAM")), decimal_of(source["infor_invoice"]["remaining_amount"])
        invoice = source["infor_invoice"]["invoice_number"]
        if amount > remaining:
            raise FatalError(f"The payment of {amount} is more than the {remaining} still open on Infor invoice "
                             f"{invoice}. Check the payment in FreshBooks (or record the difference in Infor), "
                             "then replay.", field="PYAM")
        return payload

    def create(self, item, payload):
        batch_id = self.setting("payment_batch_base") + int(item.source_id)
        try:  # the whole payment id, never a cut one: each M3 payment line must name its own payment
            reference = payment_reference(item.source_id, max_length=CKNO_LENGTH)
        except ValueError as exc:
            raise FatalError(f"The payment cannot be referenced in Infor: {exc}.", field="CKNO") from None
        self._recorded = self.infor.record_payment(
            batch_id=batch_id, customer_number=str(payload["CUNO"]), invoice_number=str(payload["CINO"]),
            invoice_year=str(payload["INYR"]), amount=decimal_of(payload["PYAM"]),
            payment_date=_date(payload.get("LPDT")) or datetime.now().date(), currency=payload.get("CUCD"),
            payment_type=payload.get("PYTP"), reference=reference,
        )
        return str(self._recorded["batch_id"])

    def update(self, item, external_id, payload):
        raise FatalError(f"This payment is already recorded in Infor payment batch {external_id} and has changed in "
                         "FreshBooks since. Correct it in Infor (ARS040 / ARS110) by hand; Ledgerlink does not "
                         "reverse posted payments.")

    def on_success(self, item, result):
        source = item.source_snapshot
        entity_link_ensure(from_entity=source.get("order_entity_id"), to_entity=item.entity_id, relation="paid_by")
        recorded = getattr(self, "_recorded", None)
        facts = {"payment_amount": str(decimal_of(source.get("amount"))),
                 "open_amount": source["infor_invoice"]["remaining_amount"],
                 "source_currency": (source.get("amount") or {}).get("code", ""),
                 "target_currency": source["infor_invoice"]["currency"]}
        result.extra["facts"] = facts
        if recorded:
            result.extra["reference"] = recorded.get("reference", "")
            invoice = recorded["invoice"]
            result.extra["reconciliation"] = {
                "invoice_number": invoice["invoice_number"], "remaining_amount": str(invoice["remaining_amount"]),
                "reconciled": invoice["reconciled"]}


def _date(value):
    if not value:
        return None
    text = str(value)
    for pattern in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise FatalError(f"'{value}' is not a date.")


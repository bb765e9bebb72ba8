"""Flow 3: FreshBooks payments → the Opportunity's Payment_Status__c (Unpaid / Partial / Paid),
Amount_Paid__c and Date_Paid__c.

A payment created, changed or deleted (source object "payment"), or an invoice updated
(source object "invoice": a second flow row of the same kind), re-reads the invoice and
recomputes the three fields from it: FreshBooks settles the invoice, we never add payments
up ourselves. The Opportunity is the one the invoice was made for: the invoice's binding,
else its idempotency marker, else the Opportunity holding FreshBooks_Invoice_Id__c. An invoice
whose Opportunity was deleted in Salesforce (flows/deletes.py) is skipped, saying so.
Only fields that differ are written, and an invoice with nothing paid does not touch an
Opportunity that has no payment status yet, so our own invoice writes cause no writes here.

Two payments of one invoice may be synced at once: after a write the invoice is read again
and, if it moved on meanwhile, the item recomputes (optimistic, no lock across records).

Many payments feed one Opportunity, so payments get no source binding of the deal (see
FlowHandler.binds_source); each payment gets its own entity, linked to the deal.
"""
from __future__ import annotations

from decimal import Decimal

from integrations.connectors.salesforce.soql import soql_format
from integrations.connectors.preflight import FlowRequirements
from integrations.errors import FatalError, RetryableError, SkippableError
from integrations.flows.toolkit.bindings import (
    binding_ensure,
    binding_find,
    entity_binding_find,
    entity_link_ensure,
)
from integrations.flows.payment_opportunity.settings import PAYMENT_OPPORTUNITY_SETTINGS
from integrations.flows.toolkit.deletes import (
    salesforce_deleted_note,
    salesforce_deleted_words,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.values import value_same
from integrations.models import Binding, Entity, SyncItem
from integrations.sync.handler import WriteResult

OPPORTUNITY_FIELDS = ["Id", "Payment_Status__c", "Amount_Paid__c", "Date_Paid__c"]
INVOICE_REF_FIELD = "FreshBooks_Invoice_Id__c"
UNPAID = {"", "unpaid"}


class PaymentOpportunityFlow(BaseFlow):
    settings_spec = PAYMENT_OPPORTUNITY_SETTINGS
    batched_backfill = "integrations.flows.payment_opportunity.backfill.payments_backfill"
    entity_kind = Entity.Kind.DEAL
    default_mapping_set = "freshbooks-invoice-to-salesforce-opportunity"
    binds_source = False
    lock_target = True  # reads the payment (or invoice); the Opportunity is written optimistically (above)
    requirements = FlowRequirements(
        freshbooks_scopes=("user:invoices:read", "user:payments:read"))

    def __init__(self, flow):
        super().__init__(flow)
        self.opportunity: dict | None = None

    # -- the sequence -------------------------------------------------------------------------------
    def fetch_source(self, item: SyncItem) -> dict:
        payment = None
        if item.source_object == "payment":
            payment = self._get(self.fb.payments, item.source_id, "payment")
            invoice_id = payment.get("invoiceid")
        else:
            invoice_id = item.source_id
        invoice = self.invoice_get(invoice_id)
        self.source_invoice_id = invoice["id"]
        return {**invoice, "payment": payment} if payment else invoice

    def invoice_get(self, invoice_id, *, known: dict | None = None) -> dict:
        """The invoice (``known`` when already read), unless it is gone or deleted."""
        invoice = known or self._get(self.fb.invoices, invoice_id, "invoice", include=())
        if int(invoice.get("vis_state") or 0) == 1:
            raise SkippableError(f"FreshBooks invoice {invoice_id} is deleted; the Opportunity's payment status is left as is.")
        return invoice

    def map(self, item: SyncItem, source: dict) -> dict:
        self.opportunity = self._opportunity_for(source)
        return self.mapping_apply(source)

    def find_existing(self, item: SyncItem, source: dict, payload: dict) -> str | None:
        return self.opportunity["Id"] if self.opportunity else None

    def create(self, item: SyncItem, payload: dict) -> str:
        raise SkippableError("This FreshBooks invoice was not made from a Salesforce Opportunity (no link, no marker, "
                             "no Opportunity holding its id); there is no payment status to update.")

    def update(self, item: SyncItem, external_id: str, payload: dict) -> None:
        current = self.opportunity if self.opportunity and self.opportunity["Id"] == external_id else \
            self.sf.get("Opportunity", external_id, fields=OPPORTUNITY_FIELDS)
        changes = opportunity_changes(current, payload)
        if changes:
            self.sf.update("Opportunity", external_id, changes)
            self._recheck(payload)
        self.written = changes

    def _recheck(self, payload: dict) -> None:
        """Payments of one invoice may be synced by two workers at once: if the invoice moved on
        while we wrote, what we wrote may be stale, so recompute (the newest read always wins)."""
        invoice = self.fb.invoices.get(self.source_invoice_id, include=())
        if self.mapping_apply(invoice) != payload:
            raise RetryableError("The invoice changed while its payment status was written; recomputing.",
                                 retry_after=1)

    def delete(self, item: SyncItem, binding: Binding | None) -> WriteResult:
        """A deleted payment (or invoice) changes what is paid: recompute as for any change."""
        source = self.fetch_source(item)
        payload = self.map(item, source)
        opportunity_id = self.find_existing(item, source, payload)
        if not opportunity_id:
            self.create(item, payload)
        self.update(item, opportunity_id, payload)
        return WriteResult(opportunity_id, "updated")

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        result.extra["written"] = sorted(getattr(self, "written", {}) or {})
        deal = item.entity or self._deal_entity(result.external_id)
        if item.source_object != "payment" or deal is None:
            return
        payment_binding = binding_ensure(connection=self.freshbooks_connection, object_type="payment",
                                         external_id=item.source_id, kind=Entity.Kind.PAYMENT)
        entity_link_ensure(from_entity=deal, to_entity=payment_binding.entity, relation="paid_by")
        payment = (item.source_snapshot or {}).get("payment") or {}
        if payment and int(payment.get("vis_state") or 0) == 0:
            paid = Decimal(str((payment.get("amount") or {}).get("amount") or 0))
            outstanding = Decimal(str((item.source_snapshot.get("outstanding") or {}).get("amount") or 0))
            result.extra["facts"] = {"payment_amount": str(paid), "open_amount": str(outstanding + paid)}

    def source_ref(self, item: SyncItem, source: dict) -> tuple[int, str, str]:
        """The invoice's binding names the deal (flow 2 binds the invoice to it), for a payment as
        for the invoice: the payment's own binding (made in on_success) names the payment, whose
        entity has no Opportunity, so a payment synced again would look like a duplicate."""
        if not source:  # a delete: the record is gone, its own binding is all there is
            return super().source_ref(item, source)
        return self.flow.source_connection_id, "invoice", str(source["id"])

    def source_version(self, source: dict) -> str:
        return str((source.get("payment") or source).get("updated") or "")

    # -- helpers --------------------------------------------------------------------------------------
    def _get(self, api, object_id, what: str, **kwargs) -> dict:
        try:
            return api.get(object_id, **kwargs)
        except FatalError as exc:
            if exc.http_status == 404:
                raise SkippableError(f"FreshBooks has no {what} {object_id}; nothing to update.") from None
            raise

    def _deal_entity(self, opportunity_id: str):
        binding = binding_find(connection=self.salesforce_connection, object_type="Opportunity", external_id=opportunity_id)
        return binding.entity if binding else None

    def opportunity_ref(self, invoice: dict) -> tuple[str, str]:
        """(field, value) naming the Opportunity this invoice was made for: its Id (from the
        invoice's binding, else the idempotency marker), else the invoice id written back to it."""
        invoice_binding = binding_find(connection=self.freshbooks_connection, object_type="invoice", external_id=invoice["id"])
        note = salesforce_deleted_note(invoice_binding)
        if note:
            raise SkippableError(f"FreshBooks invoice {invoice.get('invoice_number') or invoice['id']} was made for "
                                 f"{salesforce_deleted_words(note)}; there is no payment status to update (the payment "
                                 "stays in FreshBooks).")
        opp = entity_binding_find(entity=invoice_binding.entity if invoice_binding else None,
                                  connection=self.salesforce_connection, object_type="Opportunity")
        marker = str(invoice.get(self.setting("idempotency_field")) or "")
        if opp or marker.startswith("006"):
            return "Id", opp.external_id if opp else marker
        return INVOICE_REF_FIELD, str(invoice["id"])

    def _opportunity_for(self, invoice: dict) -> dict | None:
        """The Opportunity this invoice was made for, with its current payment fields."""
        field, value = self.opportunity_ref(invoice)
        rows = self.sf.query(soql_format(f"SELECT {', '.join(OPPORTUNITY_FIELDS)} FROM Opportunity "
                                         f"WHERE {field} = {{value}} LIMIT 1", value=value))["records"]
        return {k: v for k, v in rows[0].items() if k != "attributes"} if rows else None


def opportunity_changes(current: dict, payload: dict) -> dict:
    """The payment fields to write: those that differ, and none when an unpaid invoice would
    tell an Opportunity without a payment status nothing new (our own invoice writes)."""
    changes = {k: v for k, v in payload.items() if not value_same(current.get(k), v)}
    nothing_paid = str(payload.get("Payment_Status__c") or "").lower() in UNPAID and \
        not Decimal(str(payload.get("Amount_Paid__c") or 0))
    return {} if nothing_paid and not current.get("Payment_Status__c") else changes

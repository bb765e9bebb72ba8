"""Flow 2: Salesforce Opportunity Closed Won → FreshBooks invoice, ids written back.

One SOQL query reads the Opportunity with its Account, primary contact role and line items
(``opportunity_read``). The client is matched or created by flow 1's rules; lines are mapped
by the mapping set (taxes through value tables); the invoice is created as a draft or marked
sent (``settings["invoice_status"]``: "draft" | "sent"); FreshBooks_Invoice_Id__c and
FreshBooks_Invoice_Number__c are written back to the Opportunity.

Exactly one invoice per Opportunity:
- duplicate events and replays fold into one item, and a bound invoice is never re-created;
- every invoice carries an idempotency marker (the Opportunity id, in
  ``settings["idempotency_field"]``, default ``po_number``), looked up before any create,
  so a crash between FreshBooks' create and our commit finds the invoice instead of making
  a second. FreshBooks' invoice search filters beyond customerid are unconfirmed, so the
  lookup is configurable: ``settings["idempotency_lookup"]`` = "customer_scan" (default:
  the customer's invoices, compared here) or "search" (``search[<field>]=<marker>``);
- a failed write-back is retried alone (the engine keeps the binding).

An Opportunity won again after its invoice exists (``settings["on_won_again"]``):
"update_draft" (default) updates the invoice while it is a draft, "alert" leaves it and opens
an alert; a sent invoice is never changed, the alert says so.

An Opportunity deleted in Salesforce never deletes its invoice (flows/deletes.py): the item
is skipped naming the invoice, and a finding asks finance to look at it; with
``settings["on_opportunity_deleted"]`` = "archive_draft" an invoice still in draft is archived.
"""
from __future__ import annotations

from decimal import Decimal

from integrations.connectors.salesforce.errors import RecordNotFound
from integrations.connectors.salesforce.queries import opportunity_read
from integrations.connectors.preflight import FlowRequirements
from integrations.errors import FatalError, SkippableError
from integrations.flows.opportunity_invoice.settings import CLIENT_MAPPING
from integrations.flows.toolkit.clients import freshbooks_client_for_account
from integrations.flows.opportunity_invoice.alerts import (
    invoice_alert_open,
    invoice_orphan_finding,
    invoice_total_finding,
)
from integrations.flows.toolkit.bindings import (
    binding_find,
    entity_link_ensure,
)
from integrations.flows.opportunity_invoice.settings import OPPORTUNITY_INVOICE_SETTINGS
from integrations.flows.toolkit.deletes import (
    delete_setting,
    salesforce_delete_confirm,
    salesforce_relinked,
    salesforce_unlink,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.values import value_same
from integrations.models import Entity, SyncItem
from integrations.sync.handler import WriteResult

DRAFT = 1


def opportunity_record(read: dict) -> dict:
    """opportunity_read's parts as one record for the mapping engine."""
    return {**read["opportunity"], "Account": read["account"], "PrimaryContact": read["primary_contact"],
            "OpportunityLineItems": read["line_items"]}


def invoice_lines_key(lines) -> list[tuple]:
    def amount(v):
        v = v.get("amount") if isinstance(v, dict) else v
        return Decimal(str(v or 0)).normalize()
    return [(str(line.get("name") or "").strip(), amount(line.get("qty")), amount(line.get("unit_cost")))
            for line in lines or []]


class OpportunityInvoiceFlow(BaseFlow):
    settings_spec = OPPORTUNITY_INVOICE_SETTINGS
    batched_backfill = "integrations.flows.opportunity_invoice.backfill.opportunities_backfill"
    # Only won Opportunities become invoices: a poll queues no item for the others.
    poll_fields = ("IsWon",)

    def poll_wants(self, record: dict) -> bool:
        return bool(record.get("IsWon"))
    entity_kind = Entity.Kind.DEAL
    default_mapping_set = "salesforce-opportunity-to-freshbooks-invoice"
    requirements = FlowRequirements(
        freshbooks_scopes=("user:clients:read", "user:clients:write", "user:invoices:read", "user:invoices:write"))

    def mapping_steps(self) -> dict[str, str]:
        return {**super().mapping_steps(), "client": CLIENT_MAPPING}
    has_write_back = True

    def __init__(self, flow):
        super().__init__(flow)
        self.invoice: dict | None = None
        self.customer_entity = None

    @property
    def marker_field(self) -> str:
        return self.setting("idempotency_field")

    # -- the sequence -----------------------------------------------------------------------------
    def fetch_source(self, item: SyncItem) -> dict:
        try:
            return opportunity_record(opportunity_read(self.sf, item.source_id))
        except RecordNotFound as exc:
            raise SkippableError(f"{exc} Nothing to invoice.") from None

    def map(self, item: SyncItem, source: dict, *, index=None) -> dict:
        if not source.get("IsWon"):
            raise SkippableError(f"Opportunity {source.get('Name')!r} is not Closed Won (stage "
                                 f"{source.get('StageName')!r}); no invoice.")
        if not source.get("Account"):
            raise FatalError(f"Opportunity {source.get('Name')!r} has no Account, so there is no one to invoice: "
                             "set its Account in Salesforce, then replay.", field="AccountId")
        client_id, self.customer_entity = freshbooks_client_for_account(
            self, account=source["Account"], contact=source.get("PrimaryContact"), index=index)
        payload = self.mapping_apply(source)
        payload["customerid"] = int(client_id)
        payload[self.marker_field] = source["Id"]
        return payload

    def find_existing(self, item: SyncItem, source: dict, payload: dict) -> str | None:
        self.invoice = self.known_invoice(source) or self.marker_lookup(marker=source["Id"],
                                                                         customer_id=payload["customerid"])
        return str(self.invoice["id"]) if self.invoice else None

    def known_invoice(self, source: dict) -> dict | None:
        """The live invoice the Opportunity names (its written-back id), unless that invoice is
        marked as another Opportunity's. The batched backfill asks this too, before its markers."""
        known = source.get("FreshBooks_Invoice_Id__c")
        invoice = self._get(known) if known else None
        if invoice and int(invoice.get("vis_state") or 0) != 1 and \
                str(invoice.get(self.marker_field) or source["Id"]) == source["Id"]:
            return invoice
        return None

    def marker_lookup(self, *, marker: str, customer_id) -> dict | None:
        field = self.marker_field
        if self.setting("idempotency_lookup") == "search":
            candidates = self.fb.invoices.iterate(search={field: marker}, include=())
        else:
            candidates = self.fb.invoices.iterate(search={"customerid": customer_id}, include=())
        return next((inv for inv in candidates if str(inv.get(field) or "") == marker), None)

    def create(self, item: SyncItem, payload: dict) -> str:
        self.invoice = self.fb.invoices.create(payload)
        if self.setting("invoice_status") == "sent":
            self.invoice = self.fb.invoices.mark_as_sent(self.invoice["id"])
        return str(self.invoice["id"])

    def update(self, item: SyncItem, external_id: str, payload: dict) -> None:
        ours = self.invoice and str(self.invoice["id"]) == external_id and "lines" in self.invoice
        invoice = self.invoice if ours else self._get(external_id)
        if invoice is None or int(invoice.get("vis_state") or 0) == 1:
            raise FatalError(f"FreshBooks invoice {external_id} of this Opportunity was deleted. Unlink it (Bindings) "
                             "to invoice the Opportunity again, then replay.")
        self.invoice = invoice
        if not self._content_differs(invoice, payload):
            self._ensure_sent(invoice)
            return
        if self.setting("on_won_again") == "update_draft" and int(invoice.get("status") or 0) == DRAFT:
            self.invoice = self.fb.invoices.update(external_id, payload)
            self._ensure_sent(self.invoice)
            return
        invoice_alert_open(flow=self.flow, item=item, invoice=invoice, draft=int(invoice.get("status") or 0) == DRAFT)

    def write_back(self, item: SyncItem, source: dict, result: WriteResult) -> None:
        number = (self.invoice or {}).get("invoice_number") or (self._get(result.external_id) or {}).get("invoice_number")
        values = {"FreshBooks_Invoice_Id__c": result.external_id, "FreshBooks_Invoice_Number__c": number}
        if any(not value_same(source.get(k), v) for k, v in values.items()):
            self.sf.update("Opportunity", item.source_id, values)

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        deal = item.entity
        if deal is not None and self.customer_entity is not None:
            entity_link_ensure(from_entity=deal, to_entity=self.customer_entity, relation="billed_to")
        invoice = self.invoice or {}
        binding = binding_find(connection=self.freshbooks_connection, object_type="invoice", external_id=result.external_id)
        if binding and invoice.get("invoice_number") and binding.extra.get("invoice_number") != invoice["invoice_number"]:
            binding.extra = {**binding.extra, "invoice_number": invoice["invoice_number"]}
            binding.save(update_fields=["extra", "updated_at"])
        salesforce_relinked(binding=binding, unarchive=lambda: self.fb.invoices.update(result.external_id, {"vis_state": 0}))
        result.extra["facts"] = invoice_facts(item.source_snapshot, invoice, self.salesforce_connection)
        if invoice.get("amount"):  # equal to the cent, or a finding that says why not
            invoice_total_finding(flow=self.flow, item=item, opportunity=item.source_snapshot, invoice=invoice,
                                  binding=binding)

    def delete(self, item: SyncItem, binding) -> WriteResult:
        """The Opportunity was deleted in Salesforce: its invoice is never deleted."""
        salesforce_delete_confirm(self.sf, item)
        opp = item.source_id
        if binding is None:
            raise SkippableError(f"Salesforce Opportunity {opp} was deleted; no FreshBooks invoice was made for it, "
                                 "so nothing changes in FreshBooks.")
        invoice = self._get(binding.external_id) or {"vis_state": 1}
        number = invoice.get("invoice_number") or binding.extra.get("invoice_number") or binding.external_id
        state = invoice_state(invoice)
        archive = delete_setting(self, "on_opportunity_deleted", ("leave", "archive_draft")) == "archive_draft" \
            and state == "draft"
        if archive:
            self.fb.invoices.update(binding.external_id, {"vis_state": 2})
        salesforce_unlink(connection=self.flow.source_connection, item=item, target=binding, archived=archive)
        if archive:
            return WriteResult(binding.external_id, "archived", {"reason": f"Salesforce Opportunity {opp} was deleted; "
                               f"draft FreshBooks invoice {number} is archived (on_opportunity_deleted)."})
        if int(invoice.get("vis_state") or 0) != 1:
            invoice_orphan_finding(flow=self.flow, item=item, binding=binding, number=number, state=state)
        raise SkippableError(f"Salesforce Opportunity {opp} was deleted; FreshBooks invoice {number} ({state}) is left "
                             "as is: Ledgerlink never deletes invoices. If the sale is off, void the invoice or issue "
                             "a credit note in FreshBooks.")

    def source_version(self, source: dict) -> str:
        return source.get("SystemModstamp") or ""

    # -- helpers ------------------------------------------------------------------------------------
    def _get(self, invoice_id) -> dict | None:
        try:
            return self.fb.invoices.get(invoice_id)
        except FatalError as exc:
            if exc.http_status == 404:
                return None
            raise

    def _content_differs(self, invoice: dict, payload: dict) -> bool:
        if str(invoice.get("customerid")) != str(payload.get("customerid")):
            return True
        if payload.get("currency_code") and invoice.get("currency_code") != payload["currency_code"]:
            return True
        return invoice_lines_key(invoice.get("lines")) != invoice_lines_key(payload.get("lines"))

    def _ensure_sent(self, invoice: dict) -> None:
        if self.setting("invoice_status") == "sent" and int(invoice.get("status") or 0) == DRAFT:
            self.invoice = self.fb.invoices.mark_as_sent(invoice["id"])


def invoice_state(invoice: dict) -> str:
    """An invoice's state in words: deleted, archived, draft, sent, paid, partial, …"""
    visible = int(invoice.get("vis_state") or 0)
    if visible:
        return "deleted in FreshBooks" if visible == 1 else "archived"
    if int(invoice.get("status") or 0) == DRAFT:
        return "draft"
    return str(invoice.get("v3_status") or invoice.get("display_status") or "sent")


def invoice_facts(opportunity: dict, invoice: dict, sf_connection) -> dict:
    """What the anomaly checks compare: the Opportunity's amount and currency against the invoice's."""
    amount = (invoice.get("amount") or {})
    source_currency = opportunity.get("CurrencyIsoCode") or sf_connection.settings.get("default_currency")
    facts = {"source_amount": opportunity.get("Amount"), "target_amount": amount.get("amount"),
             "source_currency": source_currency, "target_currency": invoice.get("currency_code") or amount.get("code")}
    return {k: v for k, v in facts.items() if v not in (None, "")}

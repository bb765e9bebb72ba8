"""Batched backfill of flow 2 (Opportunity Closed Won → FreshBooks invoice).

API cost per Opportunity, once clients exist: Salesforce ≈ 1/2000 (a query page of 2,000
won Opportunities with their Accounts, primary contacts and line items) + 1/200 (write-backs
in sObject Collections); FreshBooks ≈ 1 (the invoice create; +1 when invoices are marked
sent) + 1/100 (clients and invoice markers are read once, 100 per page).

The same decisions as the engine's path (OpportunityInvoiceFlow: client match or create,
mapping, idempotency marker), only batched: an Opportunity already bound is skipped; one
whose marker is found on an invoice is bound to it (matched), never invoiced twice.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from integrations.connectors.salesforce.batch import collection_update
from integrations.connectors.salesforce.queries import (
    opportunity_from_record,
    opportunity_select,
)
from integrations.connectors.salesforce.replication import sf_datetime_parse
from integrations.connectors.salesforce.soql import soql_format
from integrations.errors import SkippableError, SyncError
from integrations.flows.opportunity_invoice.handler import (
    OpportunityInvoiceFlow,
    invoice_facts,
    opportunity_record,
)
from integrations.flows.toolkit.bindings import (
    binding_ensure,
    binding_find,
    entity_binding_find,
    entity_link_ensure,
)
from integrations.flows.toolkit.matching import FreshBooksClientIndex
from integrations.flows.toolkit.values import value_same
from integrations.models import Entity, SyncItem
from integrations.sync.hashing import payload_hash
from integrations.sync.items import sync_item_identity
from integrations.cursors import cursor_advance
from integrations.sync.backfill import backfill_cursor
from mappings.errors import MappingError

S = SyncItem.Status


def opportunities_backfill(*, flow, since, dry_run: bool, summary, progress, total) -> None:
    handler = OpportunityInvoiceFlow(flow)
    index = FreshBooksClientIndex(handler.fb.clients.iterate(include=()))
    field = handler.marker_field
    markers = {str(inv[field]): inv for inv in handler.fb.invoices.iterate(include=()) if inv.get(field)}
    multi = bool(handler.salesforce_connection.settings.get("multi_currency"))
    where = " WHERE IsWon = true" + (" AND SystemModstamp >= {since}" if since else "")
    soql = soql_format(opportunity_select(multi_currency=multi) + where + " ORDER BY SystemModstamp, Id",
                       **({"since": since} if since else {}))
    cursor = backfill_cursor(flow)
    page = handler.sf.query(soql)
    total(page.get("totalSize") or 0)
    while True:
        batch = _Batch(handler, index, markers, summary, dry_run)
        for record in page["records"]:
            batch.record(record)
            progress(1)
        batch.finish()
        if page["records"] and not dry_run:
            cursor_advance(cursor=cursor, value=sf_datetime_parse(page["records"][-1]["SystemModstamp"]))
        if page.get("done", True) or not page.get("nextRecordsUrl"):
            return
        page = handler.sf.query_more(page["nextRecordsUrl"])


class _Batch:
    """One query page: invoices made one by one, write-backs and work rows in bulk."""

    def __init__(self, handler, index, markers, summary, dry_run):
        self.handler, self.index, self.markers, self.summary, self.dry_run = handler, index, markers, summary, dry_run
        self.items: list[SyncItem] = []
        self.write_backs: list[tuple[dict, SyncItem, object]] = []  # (Opportunity values, item, invoice binding)

    def record(self, record: dict) -> None:
        h = self.handler
        source = opportunity_record(opportunity_from_record(h.sf, record))
        item = SyncItem(flow=h.flow, identity_key=sync_item_identity(flow=h.flow, source_object="Opportunity",
                                                                     source_id=source["Id"]),
                        source_object="Opportunity", source_id=source["Id"], attempts=1, hint={"reason": "backfill"},
                        source_snapshot=source, finished_at=timezone.now())
        try:
            self._invoice(source, item)
        except SkippableError as exc:
            self._outcome(item, "skipped", S.SKIPPED, str(exc))
        except (SyncError, MappingError) as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            self._outcome(item, "failed", S.DEAD, f"{reason} Fix the cause, then replay.")
        if not self.dry_run:
            self.items.append(item)

    def _invoice(self, source: dict, item: SyncItem) -> None:
        h = self.handler
        opp_binding = binding_find(connection=h.salesforce_connection, object_type="Opportunity", external_id=source["Id"])
        bound = entity_binding_find(entity=opp_binding.entity if opp_binding else None, connection=h.freshbooks_connection,
                                    object_type="invoice")
        if bound:
            item.entity, item.target_external_id = opp_binding.entity, bound.external_id
            self._outcome(item, "skipped", S.SUCCEEDED, "", action="unchanged")
            self._write_back(source, item, bound, bound.extra.get("invoice_number"))
            return
        payload = h.map(item, source, index=self.index)
        # As the engine's find_existing: the invoice the Opportunity names, then the marker.
        existing = self.markers.get(source["Id"])
        if existing is None and source.get("FreshBooks_Invoice_Id__c"):
            existing = h.known_invoice(source)
        if self.dry_run:
            self.summary.add("matched" if existing else "created")
            return
        invoice = existing or {"id": h.create(item, payload), **(h.invoice or {})}
        with transaction.atomic():
            deal = opp_binding.entity if opp_binding else Entity.objects.create(kind=Entity.Kind.DEAL)
            binding_ensure(connection=h.salesforce_connection, object_type="Opportunity", external_id=source["Id"],
                           entity=deal)
            target = binding_ensure(connection=h.freshbooks_connection, object_type="invoice",
                                    external_id=invoice["id"], entity=deal,
                                    extra={"invoice_number": invoice.get("invoice_number")})
            target.last_written_hash, target.last_written_payload = payload_hash(payload), payload
            target.last_written_at = timezone.now()
            target.save(update_fields=["last_written_hash", "last_written_payload", "last_written_at", "updated_at"])
            entity_link_ensure(from_entity=deal, to_entity=h.customer_entity, relation="billed_to")
        item.entity, item.target_external_id, item.mapped_payload = deal, str(invoice["id"]), payload
        action = "matched" if existing else "created"
        item.result = {"facts": invoice_facts(source, invoice, h.salesforce_connection)}
        self._outcome(item, action, S.SUCCEEDED, "", action=action)
        self._write_back(source, item, target, invoice.get("invoice_number"))

    def _write_back(self, source: dict, item: SyncItem, binding, number) -> None:
        values = {"FreshBooks_Invoice_Id__c": binding.external_id, "FreshBooks_Invoice_Number__c": number}
        if any(not value_same(source.get(k), v) for k, v in values.items()):  # the handler's write_back rule
            self.write_backs.append(({"Id": source["Id"], **values}, item, binding))

    def _outcome(self, item: SyncItem, outcome: str, status: str, reason: str, action: str = "") -> None:
        self.summary.add(outcome, f"{item.source_id}: {reason}" if reason else "")
        item.status, item.last_error = status, reason
        if action:
            item.result = {**item.result, "external_id": item.target_external_id, "action": action}

    def finish(self) -> None:
        if self.dry_run:
            return
        if self.write_backs:
            results = collection_update(self.handler.sf, "Opportunity", [values for values, _, _ in self.write_backs])
            for result, (_, item, binding) in zip(results, self.write_backs):
                if result.ok:
                    binding.extra = {**binding.extra, "write_back_hash": binding.last_written_hash}
                    binding.save(update_fields=["extra", "updated_at"])
                else:
                    item.status = S.DEAD
                    item.last_error = (f"The invoice exists, but writing its ids back to the Opportunity failed: "
                                       f"{result.error}. Replay to retry the write-back alone.")
                    done = item.result.get("action")
                    self.summary.counts["skipped" if done == "unchanged" else done] -= 1
                    self.summary.counts["failed"] += 1
        SyncItem.objects.bulk_create(self.items)

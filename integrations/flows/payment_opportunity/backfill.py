"""Batched backfill of flow 3, FreshBooks payments (or invoices) → the Opportunity's payment
status, amount paid and date paid.

FreshBooks calls: the source 100 per page, and (for payments) every invoice once, 100 per
page, instead of one read per payment. Salesforce calls per chunk of 200 records: one or two
queries for the Opportunities (by Id, by FreshBooks_Invoice_Id__c) and one Collections update
of the Opportunities whose fields change, allOrNone=false: several payments of one invoice
make one update, and an Opportunity Salesforce refuses fails its own items only.

The decisions are the flow's own (PaymentOpportunityFlow: which Opportunity, the mapping,
which fields differ; on_success for the payment's links and facts) and the bindings and
hashes the engine's. Unlike the engine, the invoice is not read again after the write: a
payment made while the backfill runs comes with its own webhook (or poll) and recomputes.
FreshBooks lists in no change order, so the cursor moves when a run completes; a restarted
run reads again and writes only what still differs.
"""
from __future__ import annotations

from dataclasses import dataclass

from integrations.connectors.salesforce.batch import collection_update
from integrations.connectors.salesforce.soql import soql_format, soql_select
from integrations.errors import SkippableError
from integrations.flows.payment_opportunity.handler import (
    INVOICE_REF_FIELD,
    OPPORTUNITY_FIELDS,
    PaymentOpportunityFlow,
    opportunity_changes,
)
from integrations.flows.toolkit.backfill_batch import (
    RECORD_FAILURES,
    ChunkItems,
    chunk_locked,
    freshbooks_backfill,
)
from integrations.flows.toolkit.bindings import (
    binding_find,
    entity_binding_find,
)
from integrations.models import Binding, Entity, SyncItem
from integrations.sync.engine import source_bind, target_bind, written_remember
from integrations.sync.handler import WriteResult
from integrations.sync.hashing import payload_hash

S = SyncItem.Status


def payments_backfill(*, flow, since, dry_run: bool, summary, progress, total) -> None:
    handler = PaymentOpportunityFlow(flow)
    by_payment = flow.source_object == "payment"
    invoices = {str(i["id"]): i for i in handler.fb.invoices.iterate(include=())} if by_payment else {}
    freshbooks_backfill(flow=flow, api=handler.fb.payments if by_payment else handler.fb.invoices, since=since,
                        dry_run=dry_run, summary=summary, progress=progress, total=total,
                        chunk_run=lambda chunk, items: _Chunk(handler, items, invoices).run(chunk))


@dataclass
class _Record:
    """One payment (or invoice) on its way, with the engine's state for it."""

    item: SyncItem
    source: dict  # the invoice (with "payment" for a payment), as the handler's fetch_source makes it
    payload: dict
    entity: Entity | None
    target: Binding | None  # the Opportunity bound to the source's entity
    ref: tuple[str, str] = ("", "")  # how to find the Opportunity when no binding names it
    action: str = ""  # unchanged | updated | matched
    opportunity_id: str = ""

    @property
    def open(self) -> bool:
        return self.item.status == S.PENDING


class _Chunk:
    def __init__(self, handler: PaymentOpportunityFlow, items: ChunkItems, invoices: dict):
        self.h, self.items, self.invoices, self.dry_run = handler, items, invoices, items.dry_run

    def run(self, records: list[dict]) -> None:
        kind = self.h.flow.source_object
        pairs = [(self.items.new(kind, r["id"], r), r) for r in records]
        with chunk_locked(self.items, self.h, pairs) as free:
            todo = self._plan(free)
            current = self._find(todo)
            written = self._write(todo, current)
            for r in todo:
                if r.open:
                    self._done(r, {} if r.action == "unchanged" else written.get(r.opportunity_id, {}))
        self.items.save()

    def _plan(self, pairs) -> list[_Record]:
        """The engine's fetch and map steps, and its bindings."""
        todo = []
        for item, record in pairs:
            try:
                source = self._source(record)
                payload = self.h.mapping_apply(source)
            except RECORD_FAILURES as exc:
                self.items.failed(item, exc, "map")
                continue
            item.source_snapshot, item.mapped_payload = source, payload
            connection_id, object_type, external_id = self.h.source_ref(item, source)
            binding = binding_find(connection=self.h.flow.source_connection, object_type=object_type,
                                  external_id=external_id)
            entity = binding.entity if binding else None
            target = entity_binding_find(entity=entity, connection=self.h.salesforce_connection, object_type="Opportunity")
            r = _Record(item, source, payload, entity, target)
            if target and target.last_written_hash == payload_hash(payload):
                r.action, r.opportunity_id = "unchanged", target.external_id  # nothing new to send
            elif target:
                r.action, r.opportunity_id = "updated", target.external_id
            else:
                try:  # e.g. the Opportunity was deleted: this record ends skipped, the chunk goes on
                    r.action, r.ref = "matched", self.h.opportunity_ref(source)
                except RECORD_FAILURES as exc:
                    self.items.failed(item, exc, "match")
                    continue
            todo.append(r)
        return todo

    def _source(self, record: dict) -> dict:
        if self.h.flow.source_object != "payment":
            return self.h.invoice_get(record["id"], known=record)
        invoice_id = record.get("invoiceid")
        invoice = self.h.invoice_get(invoice_id, known=self.invoices.get(str(invoice_id)))
        return {**invoice, "payment": record}

    def _find(self, todo: list[_Record]) -> dict[str, dict]:
        """The engine's match step for the whole chunk: the Opportunities read by Id and by the
        invoice id written back to them (one query each); a record whose invoice has none is
        skipped with the flow's reason. Returns their current payment fields by Id."""
        wanted: dict[str, set] = {"Id": set(), INVOICE_REF_FIELD: set()}
        for r in todo:
            if r.action != "unchanged":  # (unchanged: what we last wrote there, nothing to compare)
                field, value = ("Id", r.opportunity_id) if r.opportunity_id else r.ref
                wanted[field].add(value)
        select = soql_select(sorted({*OPPORTUNITY_FIELDS, INVOICE_REF_FIELD}), "Opportunity")
        found: dict[tuple[str, str], dict] = {}
        for field, values in wanted.items():
            if values:
                for row in self.h.sf.query_all(select + soql_format(f" WHERE {field} IN {{values}}", values=sorted(values))):
                    found.setdefault((field, str(row[field])), {k: v for k, v in row.items() if k != "attributes"})
        for r in todo:
            if not r.opportunity_id:
                r.opportunity_id = (found.get(r.ref) or {}).get("Id", "")
            if not r.opportunity_id:
                try:
                    self.h.create(r.item, r.payload)  # the flow's own answer: no Opportunity to update
                except SkippableError as exc:
                    self.items.failed(r.item, exc, "create")
        return {row["Id"]: row for row in found.values()}

    def _write(self, todo: list[_Record], current: dict) -> dict[str, dict]:
        """One Collections update for every Opportunity whose fields change (the last record of
        an Opportunity in the chunk decides, as the last of several syncs would)."""
        changes: dict[str, dict] = {}
        for r in todo:
            if r.open and r.action != "unchanged":
                changes[r.opportunity_id] = opportunity_changes(current.get(r.opportunity_id, {}), r.payload)
        writes = {opp: values for opp, values in changes.items() if values}
        if self.dry_run or not writes:
            return changes
        results = collection_update(self.h.sf, "Opportunity", [{"Id": opp, **values} for opp, values in writes.items()])
        failed = {opp: result.error for opp, result in zip(writes, results) if not result.ok}
        for r in todo:
            if r.opportunity_id in failed and r.open and r.action != "unchanged":
                self.items.failed(r.item, failed[r.opportunity_id], "update")
        return changes

    def _done(self, r: _Record, written: dict) -> None:
        """The engine's bind step and the flow's on_success (the payment's binding, its link to
        the deal, the amounts for the anomaly checks)."""
        result = WriteResult(r.opportunity_id, r.action)
        if not self.dry_run:
            try:
                if r.action == "matched":
                    r.entity, r.target = target_bind(item=r.item, handler=self.h, entity=r.entity,
                                                     external_id=r.opportunity_id)
                written_remember(target=r.target, payload=r.payload, content_hash=payload_hash(r.payload))
                r.item.entity = r.entity = source_bind(item=r.item, source=r.source, handler=self.h, entity=r.entity,
                                                       target=r.target)
                self.h.written = written
                self.h.on_success(r.item, result)
            except RECORD_FAILURES as exc:
                self.items.failed(r.item, exc, "bind")
                return
        self.items.succeeded(r.item, result)

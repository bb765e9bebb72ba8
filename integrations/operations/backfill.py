"""Backfill: bring a flow's whole history (or everything since a date) across, resumably.

``flow_backfill(flow=…, since=…, dry_run=…)`` streams the source page by page. Flows with a
batched backfill (``BATCHED_BACKFILLS``, by flow kind) read and write in bulk, with the flow
handler's own decisions and the engine's bindings and hashes:
- Opportunity → invoice (backfill_opportunities.py): 2,000 Opportunities per query with their
  Accounts, contacts and line items, FreshBooks' clients and invoice markers read once, one
  invoice per Opportunity, the ids written back with sObject Collections (200 per call);
- FreshBooks client → Account + primary Contact (backfill_clients.py) and FreshBooks payment
  or invoice → Opportunity payment status (backfill_payments.py): 200 records at a time, the
  Salesforce side read per 200 with IN lists, written with Collections (≤ 200 per call,
  allOrNone=false, each record's error on its own item); see backfill_batch.py.
Other flows send each record through the sync engine in this process.

Every record becomes a SyncItem (succeeded, skipped or dead with its reason), so finance sees
and replays the backfill like any other work. A Cursor (stream ``backfill``, keyed by the flow's
id) keeps the last source stamp done: a stopped backfill started again continues there; records
done twice are recognised by their bindings and markers, never written twice.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.module_loading import import_string

from integrations.models import Cursor, Flow, SyncItem
from integrations.triggers.cursors import BACKFILL, flow_cursor

BATCHED_BACKFILLS: dict[str, str] = {
    "salesforce-opportunity-to-freshbooks-invoice": "integrations.flows.opportunity_invoice.backfill.opportunities_backfill",
    "freshbooks-client-to-salesforce-account": "integrations.flows.client_account.backfill.clients_backfill",
    "freshbooks-payment-to-salesforce-opportunity": "integrations.flows.payment_opportunity.backfill.payments_backfill",
}
OUTCOMES = ("created", "updated", "matched", "skipped", "failed")
#: a succeeded item's action → the summary's word for it
ACTION_OUTCOMES = {"created": "created", "updated": "updated", "matched": "matched", "unchanged": "skipped"}


@dataclass
class BackfillSummary:
    flow: str
    dry_run: bool = False
    counts: dict = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[str] = field(default_factory=list)

    def add(self, outcome: str, reason: str = "") -> None:
        self.counts[outcome] += 1
        if outcome == "failed" and len(self.failures) < 20:
            self.failures.append(reason)

    def sentence(self) -> str:
        what = "would be " if self.dry_run else ""
        parts = ", ".join(f"{n} {what}{k}" for k, n in self.counts.items())
        return f"{self.flow}{' (dry run)' if self.dry_run else ''}: {parts}."


def backfill_cursor(flow: Flow) -> Cursor:
    return flow_cursor(flow=flow, stream=BACKFILL)


def backfill_start(flow: Flow, since: datetime | None) -> datetime | None:
    """Where to start: the given date, or where an earlier run stopped when that is later."""
    cursor = backfill_cursor(flow)
    done = datetime.fromisoformat(cursor.value) if cursor.value else None
    if since is None:
        return done
    return max(since, done) if done else since


def flow_backfill(*, flow: Flow, since: datetime | None = None, dry_run: bool = False,
                  progress: Callable[[int], None] | None = None, total: Callable[[int], None] | None = None
                  ) -> BackfillSummary:
    summary = BackfillSummary(flow=flow.name, dry_run=dry_run)
    start = backfill_start(flow, since)
    path = BATCHED_BACKFILLS.get(flow.kind)
    runner = import_string(path) if path else records_backfill
    runner(flow=flow, since=start, dry_run=dry_run, summary=summary, progress=progress or (lambda n: None),
           total=total or (lambda n: None))
    return summary


# -- any flow: each record through the engine -----------------------------------------------------
def _source_ids(flow: Flow, since: datetime | None, total) -> Iterator[tuple[str, str]]:
    """(record id, change stamp) of every source record, oldest change first where the API allows."""
    from integrations.flows.registry import flow_handler_for
    from integrations.triggers.polling import CHANGE_READERS, FRESHBOOKS_RESOURCES

    handler = flow_handler_for(flow)
    if flow.source_connection.system == "salesforce":
        from integrations.connectors.salesforce.queries import modified_since

        start = since or datetime(2000, 1, 1).astimezone()
        for record in modified_since(handler.sf, flow.source_object, [], start):
            yield record["Id"], record["SystemModstamp"]
        return
    if flow.source_connection.system not in CHANGE_READERS:
        raise ValueError(f"No backfill reader for {flow.source_connection.system}.")
    api = getattr(handler.fb, FRESHBOOKS_RESOURCES[flow.source_object])
    search = {"updated_min": since} if since else {}
    for record in api.iterate(search=search, include=()):
        yield str(record["id"]), ""


def records_backfill(*, flow: Flow, since, dry_run: bool, summary: BackfillSummary, progress, total) -> None:
    from django.utils import timezone

    from integrations.flows.toolkit.salesforce_freshbooks import sf_datetime
    from integrations.sync.engine import sync_item_process
    from integrations.sync.items import sync_item_enqueue
    from integrations.triggers.cursors import cursor_advance

    cursor, started = backfill_cursor(flow), timezone.now()
    for record_id, stamp in _source_ids(flow, since, total):
        progress(1)
        if dry_run:
            summary.add("skipped" if SyncItem.objects.filter(
                flow=flow, source_id=record_id, status=SyncItem.Status.SUCCEEDED).exists() else "created")
            continue
        item, _ = sync_item_enqueue(flow=flow, source_object=flow.source_object, source_id=record_id,
                                    hint={"reason": "backfill"}, dispatch=False)
        sync_item_process(item_id=item.pk)
        item.refresh_from_db()
        if item.status == SyncItem.Status.SUCCEEDED:
            summary.add(ACTION_OUTCOMES.get(item.result.get("action"), "updated"))
        elif item.status == SyncItem.Status.SKIPPED:
            summary.add("skipped")
        else:
            summary.add("failed", f"{record_id}: {item.last_error}")
        if stamp:  # Salesforce streams oldest change first: the cursor can follow each record
            cursor_advance(cursor=cursor, value=sf_datetime(stamp))
    if not dry_run and flow.source_connection.system != "salesforce":
        cursor_advance(cursor=cursor, value=started)  # FreshBooks lists in no change order: done as a whole

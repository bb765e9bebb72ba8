"""Backfill: bring a flow's whole history (or everything since a date) across, resumably.

``flow_backfill(flow=…, since=…, dry_run=…)`` streams the source page by page. Flows with a
batched backfill (named by the flow's handler, ``batched_backfill``) read and write in bulk, with the flow
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

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.connectors.registry import change_reader_for
from integrations.errors import SyncError, UnknownFlowKind
from integrations.flows.registry import flow_handler_class, flow_handler_for
from integrations.models import Flow, SyncItem
from integrations.cursors import cursor_advance
from integrations.sync.backfill import ACTION_OUTCOMES, BackfillSummary, backfill_cursor
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue

logger = logging.getLogger(__name__)


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
    path = flow_handler_class(flow.kind).batched_backfill  # a flow's own bulk path, when it has one
    runner = import_string(path) if path else records_backfill
    runner(flow=flow, since=start, dry_run=dry_run, summary=summary, progress=progress or (lambda n: None),
           total=total or (lambda n: None))
    return summary


@dataclass
class DryRunRow:
    """One flow's dry run, for the backfill confirmation page."""

    flow: Flow
    summary: BackfillSummary | None = None
    error: str = ""

    @property
    def queued(self) -> int:
        """Records the backfill would bring across (those already synced are only looked at)."""
        return sum(n for k, n in self.summary.counts.items() if k != "skipped") if self.summary else 0


def backfill_dry_runs(*, flows) -> list[DryRunRow]:
    """Each flow's dry run (reads the source, writes nothing); a flow that cannot be backfilled
    (unknown kind, no backfill reader, the source refusing) gets its reason instead."""
    rows = []
    for flow in flows:
        try:
            rows.append(DryRunRow(flow, summary=flow_backfill(flow=flow, dry_run=True)))
        except (SyncError, UnknownFlowKind, ValueError) as exc:
            rows.append(DryRunRow(flow, error=getattr(exc, "message", None) or str(exc)))
        except Exception as exc:  # a page, not a 500: the other flows' counts still show
            logger.exception("Backfill dry run of %s failed", flow.name)
            rows.append(DryRunRow(flow, error=f"an unexpected error ({type(exc).__name__}: {exc}); the log has the "
                                              "details."))
    return rows


# -- any flow: each record through the engine -----------------------------------------------------
def _source_records(flow: Flow, since: datetime | None) -> tuple[Iterator[tuple[str, datetime | None]], bool]:
    """(record id, change time or None) of every source record, and whether they come oldest change first."""
    reader = change_reader_for(flow)
    if reader is None or not reader.backfills:
        raise ValueError(f"No backfill reader for {flow.source_connection.system}.")
    return reader.backfill_records(flow=flow, handler=flow_handler_for(flow), since=since), reader.backfill_in_change_order


def records_backfill(*, flow: Flow, since, dry_run: bool, summary: BackfillSummary, progress, total) -> None:
    cursor, started = backfill_cursor(flow), timezone.now()
    records, in_change_order = _source_records(flow, since)
    for record_id, changed_at in records:
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
        elif item.status in SyncItem.OPEN_STATUSES:  # a worker retries it (a lock wait, a retryable error)
            summary.add("queued", f"{record_id}: {item.last_error} Queued again: a worker retries it on its own.")
        else:
            summary.add("failed", f"{record_id}: {item.last_error}")
        if in_change_order and changed_at:  # oldest change first: the cursor can follow each record
            cursor_advance(cursor=cursor, value=changed_at)
    if not dry_run and not in_change_order:
        cursor_advance(cursor=cursor, value=started)  # listed in no change order: done as a whole

"""Polling fallback: find what webhooks and change events missed, without redoing what they
delivered.

Per flow, a Cursor (stream ``poll``, keyed by the flow's id) holds the newest change time seen. A poll
reads the source's changes since then (Salesforce: SystemModstamp; FreshBooks:
``search[updated_min]``, a US/Eastern day, refined here to the second) and enqueues an item
for each changed record, unless that exact version was already synced (the last finished
item read the same stamp) or an item for it is already queued. The cursor advances only
after the items are committed, never past the poll's start (cursor_advance).

Salesforce deletes are read with getDeleted on a cursor of their own (polling_deletes.py says
why). A delete is queued (action "delete") only for a record Ledgerlink linked, and not when
a delete item for the record already came after the delete happened: a delete a change event
delivered is not handled a second time.

``flows_poll_due`` runs every minute (django-q2 schedule, see setup.SCHEDULES) and polls each
enabled flow whose ``poll_interval_minutes`` has passed since its last poll; 0 = never.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.connectors.freshbooks.values import accounting_datetime
from integrations.errors import SyncError
from integrations.flows.registry import flow_handler_for
from integrations.flows.toolkit.salesforce_freshbooks import sf_datetime
from integrations.models import Binding, Cursor, Flow, SyncItem
from integrations.sync.items import sync_item_enqueue, sync_item_identity
from integrations.triggers.cursors import POLL, cursor_advance, flow_cursor, flow_cursor_find
from integrations.triggers.polling_deletes import (
    salesforce_deletes_commit,
    salesforce_deletes_read,
)

logger = logging.getLogger(__name__)
FRESHBOOKS_RESOURCES = {"client": "clients", "invoice": "invoices", "payment": "payments", "expense": "expenses"}
INITIAL_LOOKBACK = timedelta(hours=24)
# Read a little before the watermark: a change committed in the watermark's own second after
# the last poll read it is caught; the version check keeps it from being synced twice.
OVERLAP = timedelta(seconds=2)


# A delete item received this long before the delete's time still covers it (clocks differ).
DELETE_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Change:
    record_id: str
    version: str
    changed_at: datetime
    action: str = "upsert"
    only_if_linked: bool = False  # a delete of a record Ledgerlink never linked needs no work


@dataclass
class PollReport:
    flow: str
    seen: int = 0
    enqueued: int = 0
    already_synced: int = 0
    not_linked: int = 0
    since: str = ""
    error: str = ""
    note: str = ""

    def sentence(self) -> str:
        if self.error:
            return f"{self.flow}: poll failed: {self.error}"
        unlinked = f", {self.not_linked} deleted record(s) never linked" if self.not_linked else ""
        note = f" {self.note}" if self.note else ""
        return (f"{self.flow}: {self.seen} changed since {self.since or 'the start'}, {self.enqueued} queued, "
                f"{self.already_synced} already synced{unlinked}.{note}")


# -- readers: one per source system ------------------------------------------------------------
def salesforce_changes(handler, flow: Flow, since: datetime, until: datetime) -> Iterator[Change]:
    from integrations.connectors.salesforce.queries import modified_since

    won_only = flow.source_object == "Opportunity" and flow.kind == "salesforce-opportunity-to-freshbooks-invoice"
    fields = ["IsWon"] if won_only else []
    # No upper bound: SOQL datetimes stop at the second, so "<= until" would drop this second's
    # changes; the cursor is capped at the poll's start instead (cursor_advance).
    for record in modified_since(handler.sf, flow.source_object, fields, since):
        if won_only and not record.get("IsWon"):
            continue
        yield Change(record["Id"], record["SystemModstamp"], sf_datetime(record["SystemModstamp"]))


def freshbooks_changes(handler, flow: Flow, since: datetime, until: datetime) -> Iterator[Change]:
    api = getattr(handler.fb, FRESHBOOKS_RESOURCES[flow.source_object])
    # search[updated_min] has day granularity: read from that day, keep what changed since `since`.
    states = [({}, "upsert")] + ([({"vis_state": 1}, "delete")] if flow.source_object == "payment" else [])
    for extra, action in states:
        for record in api.iterate(search={"updated_min": since, **extra}, include=()):
            changed = accounting_datetime(record.get("updated"), resource=flow.source_object, field="updated")
            if changed and changed >= since:
                yield Change(str(record["id"]), str(record.get("updated") or ""), changed, action)


CHANGE_READERS = {"salesforce": salesforce_changes, "freshbooks": freshbooks_changes}


def salesforce_deletes(read) -> list[Change]:
    return [Change(r.id, f"deleted {r.at.isoformat() if r.at else ''}", r.at or read.covered, "delete",
                   only_if_linked=True) for r in read.deleted]


# -- the poll ---------------------------------------------------------------------------------
def _already_synced(flow: Flow, handler, change: Change) -> bool:
    identity = sync_item_identity(flow=flow, source_object=flow.source_object, source_id=change.record_id)
    latest = SyncItem.objects.filter(identity_key=identity).order_by("-created_at").first()
    if latest is None:
        return False
    if change.action == "delete":  # a delete item (queued, running or done) that came after the delete
        return (latest.action == "delete" and latest.status not in (SyncItem.Status.DEAD, SyncItem.Status.HELD)
                and latest.received_at >= change.changed_at - DELETE_CLOCK_SKEW)
    if latest.status in (*SyncItem.OPEN_STATUSES, SyncItem.Status.RUNNING):
        return latest.status != SyncItem.Status.RUNNING  # queued: it reads fresh; running: may predate this change
    done = latest.status in (SyncItem.Status.SUCCEEDED, SyncItem.Status.SKIPPED)
    return done and bool(latest.source_snapshot) and handler.source_version(latest.source_snapshot) == change.version


def flow_poll(*, flow: Flow, now: datetime | None = None) -> PollReport:
    now = now or timezone.now()
    report = PollReport(flow=flow.name)
    cursor = flow_cursor(flow=flow, stream=POLL)
    since = datetime.fromisoformat(cursor.value) if cursor.value else now - INITIAL_LOOKBACK
    report.since = since.isoformat()
    handler = flow_handler_for(flow)
    reader = CHANGE_READERS[flow.source_connection.system]
    deletes = None
    try:
        # Read first, then write: no transaction stays open across the remote calls.
        changes = list(reader(handler, flow, since - OVERLAP, now))
        if flow.source_connection.system == "salesforce":
            deletes = salesforce_deletes_read(handler, flow, start_default=since, now=now)
    except SyncError as exc:
        report.error = exc.message
        logger.warning("Poll of %s failed: %s", flow.name, exc.message)
        return report
    newest = max([since, *(change.changed_at for change in changes)])
    with transaction.atomic():
        # A record the change read found is there now: a delete of it in the same window was
        # undone (restored), and queuing it would turn the pending change into a delete.
        live = {change.record_id for change in changes}
        gone = [c for c in (salesforce_deletes(deletes) if deletes else []) if c.record_id not in live]
        for change in changes + gone:
            _change_enqueue(flow, handler, change, report)
        cursor_advance(cursor=cursor, value=newest, run_started_at=now)
        if deletes:
            salesforce_deletes_commit(deletes, flow=flow, now=now)
            if deletes.gap:
                report.note = "Some Salesforce deletes could no longer be read: see Findings."
    return report


def _change_enqueue(flow: Flow, handler, change: Change, report: PollReport) -> None:
    report.seen += 1
    if _already_synced(flow, handler, change):
        report.already_synced += 1
        return
    if change.only_if_linked and not Binding.objects.filter(
            connection_id=flow.source_connection_id, object_type=flow.source_object, external_id=change.record_id).exists():
        report.not_linked += 1
        return
    sync_item_enqueue(flow=flow, source_object=flow.source_object, source_id=change.record_id,
                      action=change.action, hint={"reason": "poll", "version": change.version})
    report.enqueued += 1


def flows_poll_due(*, now: datetime | None = None) -> list[PollReport]:
    """Poll every enabled flow whose interval has passed (the one-minute schedule calls this)."""
    now = now or timezone.now()
    reports = []
    for flow in Flow.objects.filter(enabled=True, poll_interval_minutes__gt=0).select_related("source_connection"):
        if flow.source_connection.system not in CHANGE_READERS:
            continue
        cursor = flow_cursor_find(flow=flow, stream=POLL)
        if cursor and cursor.last_run_at and cursor.last_run_at > now - timedelta(minutes=flow.poll_interval_minutes):
            continue
        reports.append(flow_poll(flow=flow, now=now))
    return reports

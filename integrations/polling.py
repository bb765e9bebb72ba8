"""Polling fallback: find what webhooks and change events missed, without redoing what they
delivered.

Per flow, a Cursor (stream ``poll:<flow name>``) holds the newest change time seen. A poll
reads the source's changes since then (Salesforce: SystemModstamp; FreshBooks:
``search[updated_min]``, a US/Eastern day, refined here to the second) and enqueues an item
for each changed record, unless that exact version was already synced (the last finished
item read the same stamp) or an item for it is already queued. The cursor advances only
after the items are committed, never past the poll's start (cursor_advance).

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

from .connectors.freshbooks.values import accounting_datetime
from .errors import SyncError
from .flows.common import sf_datetime
from .flows.registry import flow_handler_for
from .models import Cursor, Flow, SyncItem
from .services import cursor_advance, sync_item_enqueue, sync_item_identity

logger = logging.getLogger(__name__)
FRESHBOOKS_RESOURCES = {"client": "clients", "invoice": "invoices", "payment": "payments", "expense": "expenses"}
INITIAL_LOOKBACK = timedelta(hours=24)
# Read a little before the watermark: a change committed in the watermark's own second after
# the last poll read it is caught; the version check keeps it from being synced twice.
OVERLAP = timedelta(seconds=2)


@dataclass(frozen=True)
class Change:
    record_id: str
    version: str
    changed_at: datetime
    action: str = "upsert"


@dataclass
class PollReport:
    flow: str
    seen: int = 0
    enqueued: int = 0
    already_synced: int = 0
    since: str = ""
    error: str = ""

    def sentence(self) -> str:
        if self.error:
            return f"{self.flow}: poll failed: {self.error}"
        return (f"{self.flow}: {self.seen} changed since {self.since or 'the start'}, {self.enqueued} queued, "
                f"{self.already_synced} already synced.")


# -- readers: one per source system ------------------------------------------------------------
def salesforce_changes(handler, flow: Flow, since: datetime, until: datetime) -> Iterator[Change]:
    from .connectors.salesforce.queries import modified_since

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


# -- the poll ---------------------------------------------------------------------------------
def _already_synced(flow: Flow, handler, change: Change) -> bool:
    identity = sync_item_identity(flow=flow, source_object=flow.source_object, source_id=change.record_id)
    latest = SyncItem.objects.filter(identity_key=identity).order_by("-created_at").first()
    if latest is None:
        return False
    if latest.status in (*SyncItem.OPEN_STATUSES, SyncItem.Status.RUNNING):
        return latest.status != SyncItem.Status.RUNNING  # queued: it reads fresh; running: may predate this change
    done = latest.status in (SyncItem.Status.SUCCEEDED, SyncItem.Status.SKIPPED)
    return done and bool(latest.source_snapshot) and handler.source_version(latest.source_snapshot) == change.version


def flow_poll(*, flow: Flow, now: datetime | None = None) -> PollReport:
    now = now or timezone.now()
    report = PollReport(flow=flow.name)
    cursor, _ = Cursor.objects.get_or_create(connection=flow.source_connection, stream=f"poll:{flow.name}")
    since = datetime.fromisoformat(cursor.value) if cursor.value else now - INITIAL_LOOKBACK
    report.since = since.isoformat()
    handler = flow_handler_for(flow)
    reader = CHANGE_READERS[flow.source_connection.system]
    try:
        # Read first, then write: no transaction stays open across the remote calls.
        changes = list(reader(handler, flow, since - OVERLAP, now))
    except SyncError as exc:
        report.error = exc.message
        logger.warning("Poll of %s failed: %s", flow.name, exc.message)
        return report
    newest = since
    with transaction.atomic():
        for change in changes:
            report.seen += 1
            newest = max(newest, change.changed_at)
            if _already_synced(flow, handler, change):
                report.already_synced += 1
                continue
            sync_item_enqueue(flow=flow, source_object=flow.source_object, source_id=change.record_id,
                              action=change.action, hint={"reason": "poll", "version": change.version})
            report.enqueued += 1
        cursor_advance(cursor=cursor, value=newest, run_started_at=now)
    return report


def flows_poll_due(*, now: datetime | None = None) -> list[PollReport]:
    """Poll every enabled flow whose interval has passed (the one-minute schedule calls this)."""
    now = now or timezone.now()
    reports = []
    for flow in Flow.objects.filter(enabled=True, poll_interval_minutes__gt=0).select_related("source_connection"):
        if flow.source_connection.system not in CHANGE_READERS:
            continue
        cursor = Cursor.objects.filter(connection=flow.source_connection, stream=f"poll:{flow.name}").first()
        if cursor and cursor.last_run_at and cursor.last_run_at > now - timedelta(minutes=flow.poll_interval_minutes):
            continue
        reports.append(flow_poll(flow=flow, now=now))
    return reports

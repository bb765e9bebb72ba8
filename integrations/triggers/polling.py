"""The one poller: find what webhooks and change events missed (or, for a system without
webhooks, what changed at all), without redoing what they delivered.

Each source system's connector has a change reader (connectors/<system>/changes.py; registry
``change_reader_for``): given the flow and its cursor's value it reads the changes since then
(Salesforce: SystemModstamp and getDeleted; FreshBooks: ``search[updated_min]``; Infor M3: a
customer's LMTS stamp, or open orders whose lines reached the delivered status). This module
queues an item per change (the cursor is keyed by the flow's id, so a rename keeps it), unless that exact version was already synced (the last finished
item read the same stamp) or an item for it is already queued (readers that recognise their
own echoes skip that check), and moves the cursor only after the items are committed, never
past the poll's start (cursor_advance). A delete is queued only for a record Ledgerlink
linked, and not when a delete item for the record already came after the delete happened.

``flows_poll_due`` runs every minute (django-q2 schedule, see setup.SCHEDULES) and polls each
enabled flow whose ``poll_interval_minutes`` has passed since its last poll; 0 = never.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.connectors.changes import Change, ChangeReader
from integrations.connectors.registry import change_reader_for
from integrations.errors import SyncError
from integrations.flows.registry import flow_handler_for
from integrations.models import Binding, Cursor, Flow, SyncItem
from integrations.sync.items import sync_item_enqueue, sync_item_identity
from integrations.cursors import POLL, cursor_advance, flow_cursor, flow_cursor_find

logger = logging.getLogger(__name__)

# A delete item received this long before the delete's time still covers it (clocks differ).
DELETE_CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class PollReport:
    flow: str
    seen: int = 0
    enqueued: int = 0
    already_synced: int = 0
    not_linked: int = 0
    checked: int = 0  # records read one by one to find the changes (readers that check, not list)
    since: str = ""
    error: str = ""
    note: str = ""

    def sentence(self) -> str:
        if self.error:
            return f"{self.flow}: poll failed: {self.error}"
        unlinked = f", {self.not_linked} deleted record(s) never linked" if self.not_linked else ""
        checked = f"{self.checked} checked, " if self.checked else ""
        note = f" {self.note}" if self.note else ""
        return (f"{self.flow}: {checked}{self.seen} changed since {self.since or 'the start'}, {self.enqueued} queued, "
                f"{self.already_synced} already synced{unlinked}.{note}")


def poll_cursor(flow: Flow, reader: ChangeReader, *, create: bool = True) -> Cursor | None:
    """The flow's poll cursor, keyed by the flow's id (a rename keeps it), or the one cursor its
    reader keeps per connection (Infor customers: one LMTS watermark however many flows read it)."""
    if reader.stream:
        lookup = dict(connection_id=flow.source_connection_id, flow=None, stream=reader.stream)
        return (Cursor.objects.get_or_create(**lookup)[0] if create
                else Cursor.objects.filter(**lookup).first())
    return flow_cursor(flow=flow, stream=POLL) if create else flow_cursor_find(flow=flow, stream=POLL)


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
    reader = change_reader_for(flow)
    if reader is None:
        report.error = "its source cannot be polled."
        return report
    cursor = poll_cursor(flow, reader)
    handler = flow_handler_for(flow)
    try:
        # Read first, then write: no transaction stays open across the remote calls.
        read = reader.changes_read(flow=flow, handler=handler, cursor_value=cursor.value, now=now)
    except SyncError as exc:
        report.error = exc.message
        logger.warning("Poll of %s failed: %s", flow.name, exc.message)
        return report
    report.since, report.checked, report.already_synced, report.note = read.since, read.checked, read.echoes, read.note
    with transaction.atomic():
        for change in read.changes:
            _change_enqueue(flow, handler, change, report, check_items=reader.dedupe_by_items)
        if read.position is not None:
            cursor_advance(cursor=cursor, value=read.position, run_started_at=now)
        else:  # nothing to move on from: the run is recorded (flows_poll_due reads it)
            cursor.last_run_at = timezone.now()
            cursor.save(update_fields=["last_run_at", "updated_at"])
        if read.commit is not None:
            read.commit()
    return report


def _change_enqueue(flow: Flow, handler, change: Change, report: PollReport, *, check_items: bool) -> None:
    report.seen += 1
    if check_items and _already_synced(flow, handler, change):
        report.already_synced += 1
        return
    if change.only_if_linked and not Binding.objects.filter(
            connection_id=flow.source_connection_id, object_type=flow.source_object, external_id=change.record_id).exists():
        report.not_linked += 1
        return
    sync_item_enqueue(flow=flow, source_object=flow.source_object, source_id=change.record_id,
                      action=change.action, hint={"reason": "poll", **change.hint}, received_at=change.received_at)
    report.enqueued += 1


def flows_poll_due(*, now: datetime | None = None) -> list[PollReport]:
    """Poll every enabled flow whose interval has passed (the one-minute schedule calls this)."""
    now = now or timezone.now()
    reports = []
    for flow in Flow.objects.filter(enabled=True, poll_interval_minutes__gt=0).select_related("source_connection"):
        reader = change_reader_for(flow)
        if reader is None:
            continue
        cursor = poll_cursor(flow, reader, create=False)
        if cursor and cursor.last_run_at and cursor.last_run_at > now - timedelta(minutes=flow.poll_interval_minutes):
            continue
        reports.append(flow_poll(flow=flow, now=now))
    return reports

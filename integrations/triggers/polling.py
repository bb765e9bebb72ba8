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
enabled flow whose ``poll_interval_minutes`` has passed since its last poll (a flow created
without one polls every 15 minutes; 0 = never, and a flow at 0 with no live event source is
flagged: ``flow_polling_warning``). A watermark reader's cursor is the newest stamp the source
reported, on its own clock, read again with an overlap of minutes (connectors/changes.py).

One flow's failing poll, whatever it raises, is recorded on that flow (``poll_error``,
``poll_error_at``, ``poll_failures``: shown on its admin page, alertable as monitoring's
``poll_failing`` rule) and cleared by its next good poll; the other flows are polled all the same.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.connectors.changes import Change, ChangeReader
from integrations.connectors.registry import change_reader_for, live_event_source
from integrations.errors import FatalError, SyncError, UnknownFlowKind
from integrations.flows.registry import flow_handler_checked
from integrations.models import Binding, Cursor, Flow, SyncItem
from integrations.sync.items import sync_item_enqueue, sync_item_identity
from integrations.cursors import POLL, cursor_advance, flow_cursor, flow_cursor_find
from monitoring.models import SyncAttempt

logger = logging.getLogger(__name__)

# A delete item received this long before the delete's time still covers it (clocks differ).
DELETE_CLOCK_SKEW = timedelta(minutes=5)
# The span of one whole-second modification stamp.
STAMP_SECOND = timedelta(seconds=1)


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


def _latest_items(flow: Flow, changes: list[Change]) -> dict[str, SyncItem]:
    """The newest item of each changed record, by record id, read in a few queries rather than one
    per change: a poll re-reads minutes of overlap, so most of what it sees was synced already."""
    identities = {sync_item_identity(flow=flow, source_object=flow.source_object, source_id=c.record_id): c.record_id
                  for c in changes}
    keys, latest = list(identities), {}
    for start in range(0, len(keys), 500):
        items = SyncItem.objects.filter(identity_key__in=keys[start:start + 500]).order_by(
            "identity_key", "-created_at", "-pk")
        for item in items:
            latest.setdefault(identities[item.identity_key], item)
    return latest


def _already_synced(handler, change: Change, latest: SyncItem | None, *, second_stamps: bool = False) -> bool:
    if latest is None:
        return False
    if change.action == "delete":  # a delete item (queued, running or done) that came after the delete
        return (latest.action == "delete" and latest.status not in (SyncItem.Status.DEAD, SyncItem.Status.HELD)
                and latest.received_at >= change.changed_at - DELETE_CLOCK_SKEW)
    if latest.status in (*SyncItem.OPEN_STATUSES, SyncItem.Status.RUNNING):
        return latest.status != SyncItem.Status.RUNNING  # queued: it reads fresh; running: may predate this change
    done = latest.status in (SyncItem.Status.SUCCEEDED, SyncItem.Status.SKIPPED)
    if not (done and bool(latest.source_snapshot) and handler.source_version(latest.source_snapshot) == change.version):
        return False
    if second_stamps and change.changed_at is not None:
        # Whole-second stamps: a change in the same second after our read carries the same version.
        # Synced only if the read began after the stamp's second ended; else read it once more.
        read_from = (SyncAttempt.objects.filter(sync_item_id=latest.pk).order_by("-started_at")
                     .values_list("started_at", flat=True).first())
        return read_from is not None and read_from >= change.changed_at + STAMP_SECOND
    return True


def flow_poll(*, flow: Flow, now: datetime | None = None) -> PollReport:
    """Poll one flow's source. Never raises: a failure is the report's error, recorded on the flow."""
    now = now or timezone.now()
    try:
        report = _flow_poll(flow, now)
    except Exception as exc:  # a broken reader or record must not stop the caller's other flows
        logger.exception("Poll of %s failed", flow.name)
        report = PollReport(flow=flow.name, error=f"an unexpected error ({type(exc).__name__}: {exc}); "
                                                  "the worker's log has the details.")
    if report.error != NOT_POLLABLE:
        poll_outcome_record(flow, report, now=now)
    return report


NOT_POLLABLE = "its source cannot be polled."


def _flow_poll(flow: Flow, now: datetime) -> PollReport:
    report = PollReport(flow=flow.name)
    reader = change_reader_for(flow)
    if reader is None:
        report.error = NOT_POLLABLE
        return report
    try:
        # A kind or settings edited around the admin form: say which, instead of an unexpected error.
        handler = flow_handler_checked(flow)
    except UnknownFlowKind as exc:
        report.error = f"{exc} Choose one of them on the flow's page."
        return report
    except FatalError as exc:
        report.error = exc.message
        return report
    cursor = poll_cursor(flow, reader)
    try:
        # Read first, then write: no transaction stays open across the remote calls.
        read = reader.changes_read(flow=flow, handler=handler, cursor_value=cursor.value, now=now)
    except SyncError as exc:
        report.error = exc.message
        logger.warning("Poll of %s failed: %s", flow.name, exc.message)
        return report
    report.since, report.checked, report.already_synced, report.note = read.since, read.checked, read.echoes, read.note
    with transaction.atomic():
        latest = _latest_items(flow, read.changes) if reader.dedupe_by_items else None
        for change in read.changes:
            _change_enqueue(flow, handler, change, report, latest=latest, second_stamps=reader.versions_are_second_stamps)
        # The read went to the source's end: whatever changed before this poll began is queued (or
        # was nothing), so a quiet stream with an old watermark is not behind (the stuck-polling alert).
        cursor.caught_up_at = now
        if read.position is not None:
            cursor_advance(cursor=cursor, value=read.position, run_started_at=now if read.capped else None)
        else:  # nothing to move on from: the run is recorded (flows_poll_due reads it)
            cursor.last_run_at = timezone.now()
            cursor.save(update_fields=["last_run_at", "caught_up_at", "updated_at"])
        if read.commit is not None:
            read.commit()
    return report


def poll_outcome_record(flow: Flow, report: PollReport, *, now: datetime) -> None:
    """A failed poll is kept on the flow (and counted) until a poll succeeds; a good poll clears it."""
    if report.error:
        Flow.objects.filter(pk=flow.pk).update(poll_error=report.error, poll_error_at=now,
                                               poll_failures=F("poll_failures") + 1)
        flow.poll_error, flow.poll_error_at, flow.poll_failures = report.error, now, flow.poll_failures + 1
    elif Flow.objects.filter(pk=flow.pk, poll_failures__gt=0).update(poll_error="", poll_error_at=None,
                                                                     poll_failures=0):
        flow.poll_error, flow.poll_error_at, flow.poll_failures = "", None, 0


def _change_enqueue(flow: Flow, handler, change: Change, report: PollReport, *, latest: dict[str, SyncItem] | None,
                    second_stamps: bool = False) -> None:
    """``latest``: each record's newest item (None: the reader recognises its own echoes, no check)."""
    report.seen += 1
    if latest is not None and _already_synced(handler, change, latest.get(change.record_id), second_stamps=second_stamps):
        report.already_synced += 1
        return
    if change.only_if_linked and not Binding.objects.filter(
            connection_id=flow.source_connection_id, object_type=flow.source_object, external_id=change.record_id).exists():
        report.not_linked += 1
        return
    item, _ = sync_item_enqueue(flow=flow, source_object=flow.source_object, source_id=change.record_id,
                                action=change.action, hint={"reason": "poll", **change.hint},
                                received_at=change.received_at)
    if latest is not None:
        latest[change.record_id] = item  # a second change of the record in this read sees it queued
    report.enqueued += 1


def flows_poll_due(*, now: datetime | None = None) -> list[PollReport]:
    """Poll every enabled flow whose interval has passed (the one-minute schedule calls this).

    Each flow is polled on its own: one that fails, whatever it raises, has its error recorded
    on it and the loop goes on to the next."""
    now = now or timezone.now()
    reports = []
    for flow in Flow.objects.filter(enabled=True, poll_interval_minutes__gt=0).select_related("source_connection"):
        try:
            reader = change_reader_for(flow)
            if reader is None:
                continue
            cursor = poll_cursor(flow, reader, create=False)
            if cursor and cursor.last_run_at and cursor.last_run_at > now - timedelta(minutes=flow.poll_interval_minutes):
                continue
        except Exception as exc:
            logger.exception("Poll of %s could not start", flow.name)
            report = PollReport(flow=flow.name, error=f"the poll could not start ({type(exc).__name__}: {exc}).")
            poll_outcome_record(flow, report, now=now)
            reports.append(report)
            continue
        reports.append(flow_poll(flow=flow, now=now))
    return reports


def flow_polling_warning(flow: Flow) -> str:
    """Why nothing would bring this flow's changes in, or "" when something does.

    A flow polls unless its interval is 0; at 0 it depends on a live event source: a webhook or
    change-event trigger from a source connection that is active and whose system can deliver to
    us (its connector has a receiver)."""
    if not flow.enabled or flow.poll_interval_minutes > 0 or change_reader_for(flow) is None:
        return ""
    if live_event_source(flow):
        return ""
    if flow.trigger == Flow.Trigger.POLL:
        why = "its trigger is the poll schedule"
    elif not flow.source_connection.is_active:
        why = f"its source connection {flow.source_connection.name} is inactive"
    else:
        why = f"{flow.source_connection.get_system_display()} cannot deliver {flow.get_trigger_display().lower()}s to us"
    return (f"Never polled (interval 0) and no live event source ({why}): changes in "
            f"{flow.source_connection.name} will not reach this flow. Set a poll interval.")


def flows_polling_warnings() -> dict[int, str]:
    """Per enabled flow id, its polling warning (settings.LEDGERLINK_FLOW_WARNINGS_PROVIDER: the
    monitoring dashboard reads them here, as monitoring imports nothing from integrations)."""
    flows = Flow.objects.filter(enabled=True, poll_interval_minutes=0).select_related("source_connection")
    return {flow.pk: warning for flow in flows if (warning := flow_polling_warning(flow))}

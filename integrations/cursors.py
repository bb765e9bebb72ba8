"""Polling and backfill watermarks: advanced only after the work they cover is committed."""
from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from integrations.models import Cursor, Flow


# A flow's own streams. The cursor names the flow by id (Cursor.flow), never by its editable name,
# so a rename in the admin keeps where polling and backfill stopped.
POLL, POLL_DELETED, BACKFILL = "poll", "poll-deleted", "backfill"


def flow_cursor(*, flow: Flow, stream: str) -> Cursor:
    """The flow's cursor for one stream of its source connection, made empty when missing."""
    return Cursor.objects.get_or_create(connection_id=flow.source_connection_id, flow=flow, stream=stream)[0]


def flow_cursor_find(*, flow: Flow, stream: str) -> Cursor | None:
    return Cursor.objects.filter(connection_id=flow.source_connection_id, flow=flow, stream=stream).first()


def cursor_position_key(value: str):
    """A stored position in its own order: a time, a number (Infor's LMTS stamps), else the text."""
    if value.isdigit():
        return (1, int(value), "")
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return (2, 0, value)
    return (0, (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp(), "")


def cursor_advance(*, cursor, value, run_started_at=None) -> None:
    """Advance a polling watermark once the page's work is committed; never move it back.

    A datetime watermark is capped at the run's start: records changed while the run was
    paging may have been missed, so the next run starts from there again.

    Two polls of one flow can overlap (two clusters, or a poll outlasting its interval): the one
    finishing last may have read less far. The row is locked and read again here, so its value
    only ever moves forward whichever commits first (a deliberate rewind is
    subscriber/catchup.py's poll_cursor_rewind, not this). ``cursor`` gets the stored value.
    """
    if isinstance(value, datetime):
        if run_started_at is not None:
            value = min(value, run_started_at)
        value = value.isoformat()
    value = str(value)
    with transaction.atomic():
        stored = Cursor.objects.select_for_update().values_list("value", flat=True).get(pk=cursor.pk)
        if stored and cursor_position_key(value) <= cursor_position_key(stored):
            value = stored  # another run got further: keep its position, record this run
        cursor.value, cursor.last_run_at = value, timezone.now()
        cursor.save(update_fields=["value", "last_run_at", "caught_up_at", "updated_at"])

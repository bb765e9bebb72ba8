"""Polling and backfill watermarks: advanced only after the work they cover is committed."""
from __future__ import annotations

from datetime import datetime

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


def cursor_advance(*, cursor, value, run_started_at=None) -> None:
    """Advance a polling watermark once the page's work is committed.

    A datetime watermark is capped at the run's start: records changed while the run was
    paging may have been missed, so the next run starts from there again.
    """
    if isinstance(value, datetime):
        if run_started_at is not None:
            value = min(value, run_started_at)
        value = value.isoformat()
    cursor.value, cursor.last_run_at = str(value), timezone.now()
    cursor.save(update_fields=["value", "last_run_at", "caught_up_at", "updated_at"])

"""Polling and backfill watermarks: advanced only after the work they cover is committed."""
from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from integrations.models import SyncItem

logger = logging.getLogger(__name__)
S = SyncItem.Status


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
    cursor.save(update_fields=["value", "last_run_at", "updated_at"])

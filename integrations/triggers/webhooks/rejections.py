"""Rejected deliveries: counted without touching the connection row, and rate-limited.

Anyone can send a delivery that is rejected (a bad signature needs no secret), so what a
rejection costs is what a stranger can make Ledgerlink spend. Each one is counted on its own
row (WebhookRejectionCount, an atomic ``count = count + 1``: no lock on the Connection row that
every valid delivery reads). Past ``WEBHOOK_REJECTIONS_PER_MINUTE`` rejections in one clock
minute for one connection's endpoint (per process, in Django's cache), the rest of that minute's
rejections are answered 429 with Retry-After and not counted, logged or re-checked against the
database. Valid deliveries are never limited: the limit applies only once a delivery was rejected.
"""
from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import WebhookRejectionCount

WINDOW_SECONDS = 60


def _clock() -> float:
    """Wall-clock seconds: windows are clock minutes, shared by every request of a process."""
    return time.time()


def _window_key(system: str, connection_id: int, now: float) -> str:
    return f"ledgerlink:webhook-rejections:{system}:{connection_id}:{int(now // WINDOW_SECONDS)}"


def webhook_rejection_retry_after(*, system: str, connection_id: int) -> int | None:
    """Seconds until this endpoint's rejections are counted again, when it is over its limit; else None."""
    limit = settings.WEBHOOK_REJECTIONS_PER_MINUTE
    if limit <= 0:
        return None
    now = _clock()
    return (max(1, math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS))
            if (cache.get(_window_key(system, connection_id, now)) or 0) >= limit else None)


def webhook_rejection_admit(*, system: str, connection_id: int) -> int | None:
    """Count one rejection in this minute's window: None while within the limit, else the
    Retry-After seconds (the caller answers 429 and writes nothing)."""
    limit = settings.WEBHOOK_REJECTIONS_PER_MINUTE
    if limit <= 0:
        return None
    now = _clock()
    key = _window_key(system, connection_id, now)
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        seen = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        seen = 1
    return None if seen <= limit else max(1, math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS))


def webhook_rejection_count(*, connection_id: int, kind: str, detail: str) -> None:
    """Add one to the connection's counter of this kind (its own row; created on first use)."""
    values = {"count": F("count") + 1, "last_at": timezone.now(), "last_detail": detail[:300]}
    rows = WebhookRejectionCount.objects.filter(connection_id=connection_id, kind=kind)
    if rows.update(**values):
        return
    try:
        with transaction.atomic():
            WebhookRejectionCount.objects.create(connection_id=connection_id, kind=kind, count=1,
                                                 last_at=values["last_at"], last_detail=values["last_detail"])
    except IntegrityError:  # created meanwhile by a concurrent rejection
        rows.update(**values)


def webhook_rejections(*, connection_id: int) -> dict[str, int]:
    """{kind: count} for a connection (the admin and tests read it)."""
    return dict(WebhookRejectionCount.objects.filter(connection_id=connection_id).values_list("kind", "count"))

"""Is the worker cluster making progress? Read from django-q2's own evidence.

A stand-in until the self-healing supervisor's heartbeat row lands
(``integrations.selectors.cluster_heartbeat_status``, same shape): readiness and metrics read the
cluster only through ``cluster_heartbeat_status()`` here, so the merge repoints one function.

Evidence: *waiting* = open sync items due for longer than ``READY_CLUSTER_STALL_SECONDS`` (a retry
parked for later is not due yet), so a burst that has just arrived is not yet a stall; *progress* = the
latest task django-q2 finished (its Success and Failure rows: ``Q_SAVE_LIMIT`` keeps the latest
successes, so it must not be -1). Waiting work and no progress for the stall window = wedged.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django_q.models import Task

from integrations.models import SyncItem


def cluster_heartbeat_status(now: datetime | None = None) -> dict:
    """{state: ok | idle | wedged, last_progress_at, waiting, detail}."""
    now = now or timezone.now()
    stall = timedelta(seconds=settings.READY_CLUSTER_STALL_SECONDS)
    last_progress_at = Task.objects.aggregate(last=Max("stopped"))["last"]
    waiting = SyncItem.objects.filter(status__in=SyncItem.OPEN_STATUSES, next_attempt_at__lte=now - stall).count()
    progressed = last_progress_at is not None and last_progress_at >= now - stall
    if waiting and not progressed:
        since = f"since {last_progress_at.isoformat()}" if last_progress_at else "ever"
        return {"state": "wedged", "last_progress_at": last_progress_at, "waiting": waiting,
                "detail": f"{waiting} item(s) due for over {stall.seconds} s and no task finished {since}"}
    return {"state": "ok" if waiting or progressed else "idle", "last_progress_at": last_progress_at,
            "waiting": waiting, "detail": ""}

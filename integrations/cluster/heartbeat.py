"""The supervisor's heartbeat row (models.ClusterHeartbeat), read by /readyz."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import DatabaseError
from django.utils import timezone

from integrations.cluster.ledger import LedgerSnapshot
from integrations.models import ClusterHeartbeat

logger = logging.getLogger(__name__)
FORGET_AFTER = timedelta(days=7)  # rows of supervisors that stopped (or vanished) this long ago are deleted


def cluster_heartbeat_write(*, name: str, state: str, started_at: datetime, snapshot: LedgerSnapshot | None,
                            restarts: int, detail: str = "") -> None:
    """Create or update this supervisor's row; a database outage is logged, never raised (the
    supervisor outlives it, and the row's age then tells /readyz)."""
    progress = None
    if snapshot is not None and snapshot.last_progress is not None:
        progress = datetime.fromtimestamp(snapshot.last_progress, tz=dt_timezone.utc)
    try:
        if state == ClusterHeartbeat.State.STARTING:
            ClusterHeartbeat.objects.filter(beat_at__lt=timezone.now() - FORGET_AFTER).delete()
        ClusterHeartbeat.objects.update_or_create(name=name, defaults={
            "state": state, "beat_at": timezone.now(), "started_at": started_at,
            "waiting": snapshot.waiting if snapshot else 0, "busy": snapshot.busy if snapshot else 0,
            "restarts": restarts, "detail": detail[:2000],
            **({"last_progress_at": progress} if progress else {}),
        })
    except DatabaseError:
        logger.warning("Could not write the worker cluster's heartbeat row.", exc_info=True)

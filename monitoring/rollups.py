"""Hourly rollups of the engine's rows, so the dashboard reads a few hundred rows, not millions.

Only whole hours are stored. ``metrics_rollup`` (every minute, django-q2 schedule) stores the
hours that have ended since the last run, redoing the latest stored hour once in case a
transaction committed rows stamped just before the hour turned. The dashboard adds the
hours not stored yet by computing them live with the same functions, so it is never stale.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from .models import ApiCall, ApiHourStat, FlowHourStat, RollupState, SyncAttempt
from .refs import FINISHED_STATUSES, RETRYING, SUCCEEDED, engine_model

# Upper bounds (ms) of the end-to-end latency buckets; the last bucket is "above 1 day".
LATENCY_BUCKETS_MS = [
    250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
    1_800_000, 3_600_000, 14_400_000, 86_400_000,
]
HIST_SIZE = len(LATENCY_BUCKETS_MS) + 1
ROLLUP_NAME = "hourly"
MAX_BACKFILL_HOURS = 24 * 35  # a first run stores five weeks: the anomaly baseline's span


def hour_floor(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def latency_bucket(ms: float) -> int:
    return bisect.bisect_left(LATENCY_BUCKETS_MS, ms)


def _flow_row() -> dict:
    return {"received": 0, "succeeded": 0, "dead": 0, "skipped": 0, "retries": 0,
            "latency_hist": [0] * HIST_SIZE, "latency_sum_ms": 0}


def flow_hours_compute(*, start: datetime, end: datetime) -> dict[tuple[int, datetime], dict]:
    """Per (flow id, hour) in [start, end): items received / finished, retries, latency histogram."""
    SyncItem = engine_model("SyncItem")
    rows: dict[tuple[int, datetime], dict] = defaultdict(_flow_row)
    created = (SyncItem.objects.filter(created_at__gte=start, created_at__lt=end)
               .annotate(h=TruncHour("created_at")).values("flow_id", "h").annotate(n=Count("id")))
    for r in created:
        rows[(r["flow_id"], r["h"])]["received"] += r["n"]
    finished = SyncItem.objects.filter(finished_at__gte=start, finished_at__lt=end, status__in=FINISHED_STATUSES)
    for r in finished.annotate(h=TruncHour("finished_at")).values("flow_id", "h", "status").annotate(n=Count("id")):
        rows[(r["flow_id"], r["h"])][r["status"]] += r["n"]
    # Latency is bucketed in Python: one hour holds at most a few thousand finished items.
    for flow_id, received_at, finished_at in finished.filter(status=SUCCEEDED).values_list(
        "flow_id", "received_at", "finished_at"
    ).iterator(chunk_size=5000):
        row = rows[(flow_id, hour_floor(finished_at))]
        ms = max(0.0, (finished_at - received_at).total_seconds() * 1000)
        row["latency_hist"][latency_bucket(ms)] += 1
        row["latency_sum_ms"] += int(ms)
    retries = (SyncAttempt.objects.filter(started_at__gte=start, started_at__lt=end, outcome=RETRYING)
               .annotate(h=TruncHour("started_at")).values("sync_item__flow_id", "h").annotate(n=Count("id")))
    for r in retries:
        rows[(r["sync_item__flow_id"], r["h"])]["retries"] += r["n"]
    return dict(rows)


def api_hours_compute(*, start: datetime, end: datetime) -> dict[tuple[str, int | None, datetime], dict]:
    """Per (system, connection id, hour) in [start, end): calls, errors, records, time spent."""
    qs = (ApiCall.objects.filter(created_at__gte=start, created_at__lt=end)
          .annotate(h=TruncHour("created_at")).values("system", "connection_id", "h")
          .annotate(calls=Count("id"), errors=Count("id", filter=Q(status_code__isnull=True) | Q(status_code__gte=400)),
                    records=Sum("record_count"), duration_sum_ms=Sum("duration_ms")))
    return {
        (r["system"], r["connection_id"], r["h"]): {
            "calls": r["calls"], "errors": r["errors"], "records": r["records"] or 0,
            "duration_sum_ms": r["duration_sum_ms"] or 0,
        }
        for r in qs
    }


def _store(start: datetime, end: datetime) -> int:
    flows = flow_hours_compute(start=start, end=end)
    apis = api_hours_compute(start=start, end=end)
    with transaction.atomic():
        FlowHourStat.objects.filter(hour__gte=start, hour__lt=end).delete()
        ApiHourStat.objects.filter(hour__gte=start, hour__lt=end).delete()
        FlowHourStat.objects.bulk_create(
            [FlowHourStat(flow_id=f, hour=h, **v) for (f, h), v in flows.items()], batch_size=1000
        )
        ApiHourStat.objects.bulk_create(
            [ApiHourStat(system=s, connection_id=c, hour=h, **v) for (s, c, h), v in apis.items()], batch_size=1000
        )
    return len(flows) + len(apis)


def metrics_rollup(*, now: datetime | None = None) -> dict:
    """Store every whole hour not stored yet (and redo the last stored one). Idempotent."""
    now = now or timezone.now()
    until = hour_floor(now)
    state, _ = RollupState.objects.get_or_create(name=ROLLUP_NAME)
    start = (state.complete_until - timedelta(hours=1)) if state.complete_until else until - timedelta(hours=MAX_BACKFILL_HOURS)
    start = max(start, until - timedelta(hours=MAX_BACKFILL_HOURS))
    rows, cursor = 0, start
    while cursor < until:  # a day at a time keeps a backfill's memory flat
        step_end = min(until, cursor + timedelta(hours=24))
        rows += _store(cursor, step_end)
        cursor = step_end
    RollupState.objects.filter(pk=state.pk).update(complete_until=until, updated_at=now)
    return {"from": start.isoformat(), "until": until.isoformat(), "rows": rows}


def rollup_complete_until() -> datetime | None:
    return RollupState.objects.filter(name=ROLLUP_NAME).values_list("complete_until", flat=True).first()


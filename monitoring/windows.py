"""Time windows of the dashboard, and reading hourly stats across stored and live hours."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import ApiHourStat, FlowHourStat
from .rollups import HIST_SIZE, LATENCY_BUCKETS_MS, api_hours_compute, flow_hours_compute, hour_floor, rollup_complete_until

WINDOWS = {"1h": ("Last hour", 1), "24h": ("Last day", 24), "7d": ("Last 7 days", 168)}
DEFAULT_WINDOW = "24h"


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    start: datetime  # on the hour: "last hour" at 10:15 covers 09:00–10:15
    now: datetime

    @classmethod
    def of(cls, key: str, now: datetime) -> Window:
        key = key if key in WINDOWS else DEFAULT_WINDOW
        label, hours = WINDOWS[key]
        return cls(key, label, hour_floor(now - timedelta(hours=hours)), now)

    def hours(self) -> list[datetime]:
        out, h = [], self.start
        while h <= self.now:
            out.append(h)
            h += timedelta(hours=1)
        return out


def _split(window: Window) -> datetime:
    """Hours before the returned time come from the rollup tables, the rest are computed live."""
    stored_until = rollup_complete_until()
    if stored_until is None:
        return window.start
    return min(max(stored_until, window.start), hour_floor(window.now) + timedelta(hours=1))


def flow_hours(window: Window) -> dict[tuple[int, datetime], dict]:
    split = _split(window)
    rows = {
        (r["flow_id"], r["hour"]): r
        for r in FlowHourStat.objects.filter(hour__gte=window.start, hour__lt=split).values(
            "flow_id", "hour", "received", "succeeded", "dead", "skipped", "retries", "latency_hist", "latency_sum_ms"
        )
    }
    rows.update(flow_hours_compute(start=split, end=window.now + timedelta(microseconds=1)) if split <= window.now else {})
    return rows


def api_hours(window: Window) -> dict[tuple[str, int | None, datetime], dict]:
    split = _split(window)
    rows = {
        (r["system"], r["connection_id"], r["hour"]): r
        for r in ApiHourStat.objects.filter(hour__gte=window.start, hour__lt=split).values(
            "system", "connection_id", "hour", "calls", "errors", "records", "duration_sum_ms"
        )
    }
    rows.update(api_hours_compute(start=split, end=window.now + timedelta(microseconds=1)) if split <= window.now else {})
    return rows


def hist_merge(hists) -> list[int]:
    total = [0] * HIST_SIZE
    for hist in hists:
        for i, n in enumerate(hist or []):
            total[i] += n
    return total


def hist_percentile(hist: list[int], q: float) -> float | None:
    """Upper bound (ms) of the bucket holding the q-quantile; None when empty, inf above a day.

    Reported as "≤ value": exact to the bucket, which is what an hourly rollup can keep.
    """
    count = sum(hist)
    if not count:
        return None
    rank, seen = q * count, 0
    for i, n in enumerate(hist):
        seen += n
        if seen >= rank and n:
            return LATENCY_BUCKETS_MS[i] if i < len(LATENCY_BUCKETS_MS) else math.inf
    return None


def group_sum(rows: dict, key_index: int, fields: list[str]) -> dict:
    """Sum ``fields`` of rollup rows grouped by one part of their key."""
    out: dict = defaultdict(lambda: dict.fromkeys(fields, 0))
    for key, row in rows.items():
        for f in fields:
            out[key[key_index]][f] += row[f]
    return out

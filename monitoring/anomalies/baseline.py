"""Volume and failure rate against the flow's own recent baseline, per hour of day.

For the last whole hour, each flow's value is compared with the same hour of day on each of
the previous ANOMALY_BASELINE_DAYS days (from the hourly rollups; an hour with no row
counts 0). Robust z-score = 0.6745 × (value − median) ÷ MAD, where MAD is the median
absolute deviation (when MAD is 0: 1.2533 × mean absolute deviation, the usual fallback).
|z| above ANOMALY_ZSCORE_LIMIT is a finding. A flow needs 7 days of history first, and a
volume change smaller than 5 items or an hour with fewer than 5 finished items is ignored,
so a quiet flow does not raise noise.
"""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from django.conf import settings

from ..findings import Found
from ..models import FlowHourStat
from ..refs import engine_model
from ..rollups import hour_floor
from ..windows import flow_hours, Window

MIN_HISTORY_DAYS = 7
MIN_VOLUME_CHANGE = 5
MIN_FINISHED_FOR_RATE = 5

EXPLAIN = __doc__.split("\n\n", 1)[1].replace("\n", " ").strip()


def robust_z(value: float, baseline: list[float]) -> float:
    median = statistics.median(baseline)
    mad = statistics.median(abs(v - median) for v in baseline)
    if mad:
        return 0.6745 * (value - median) / mad
    mean_ad = statistics.fmean(abs(v - median) for v in baseline)
    if mean_ad:
        return (value - median) / (1.2533 * mean_ad)
    return 0.0 if value == median else float("inf") * (1 if value > median else -1)


def _failure_rate(row: dict) -> float | None:
    finished = row["succeeded"] + row["dead"]
    return (row["dead"] + row["retries"]) / (finished + row["retries"]) if finished >= MIN_FINISHED_FOR_RATE else None


def baseline_check(*, now: datetime) -> tuple[list[Found], None]:
    hour = hour_floor(now) - timedelta(hours=1)
    days = settings.ANOMALY_BASELINE_DAYS
    hours = [hour - timedelta(days=d) for d in range(days, 0, -1)]
    current = {k[0]: v for k, v in flow_hours(Window("baseline", "", hour, hour + timedelta(minutes=59, seconds=59))).items()}
    past = {}
    for row in FlowHourStat.objects.filter(hour__in=hours).values("flow_id", "hour", "received", "succeeded", "dead", "retries"):
        past[(row["flow_id"], row["hour"])] = row
    first_seen = {}
    for row in FlowHourStat.objects.filter(hour__gte=hours[0], hour__lt=hour).values("flow_id", "hour").order_by("hour"):
        first_seen.setdefault(row["flow_id"], row["hour"])
    zero = {"received": 0, "succeeded": 0, "dead": 0, "retries": 0}
    limit, found = settings.ANOMALY_ZSCORE_LIMIT, []
    for flow in engine_model("Flow").objects.filter(enabled=True):
        start = first_seen.get(flow.pk)
        if start is None or hour - start < timedelta(days=MIN_HISTORY_DAYS):
            continue
        history = [past.get((flow.pk, h), zero) for h in hours if h >= hour_floor(start)]
        now_row = current.get(flow.pk, zero)
        volume = [float(r["received"]) for r in history]
        z = robust_z(float(now_row["received"]), volume)
        if abs(z) > limit and abs(now_row["received"] - statistics.median(volume)) >= MIN_VOLUME_CHANGE:
            found.append(_found(flow, hour, "volume", now_row["received"], statistics.median(volume), z))
        rates = [r for r in (_failure_rate(h) for h in history) if r is not None]
        rate = _failure_rate(now_row)
        if rate is not None and len(rates) >= MIN_HISTORY_DAYS:
            z = robust_z(rate, rates)
            if z > limit:  # only more failures than usual is a problem
                found.append(_found(flow, hour, "failure rate", round(rate * 100, 1), round(statistics.median(rates) * 100, 1), z))
    return found, None


def _found(flow, hour, what, value, median, z) -> Found:
    unit = "%" if what == "failure rate" else " items"
    return Found(
        subject=f"flow:{flow.pk}:{hour:%Y-%m-%dT%H}", variant=what,
        title=f"{flow}: {what} {value}{unit} at {hour:%Y-%m-%d %H}:00 UTC (usually {median}{unit}, z = {z:.1f})",
        explanation=EXPLAIN, flow_id=flow.pk,
        details={"measure": what, "value": value, "baseline_median": median, "z": round(z, 2) if z not in (float("inf"), float("-inf")) else str(z), "hour": hour.isoformat()},
        records=[{"label": "Flow", "flow_id": flow.pk}],
    )

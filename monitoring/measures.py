"""Current-state measures shared by the dashboard and the alert rules.

Each is one indexed query (SyncItem's (flow, status) and (status, next_attempt_at) indexes),
so they stay fast however long the history grows.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

from django.db.models import Count, Min
from django.utils.dateparse import parse_datetime

from .refs import DEAD, OPEN_STATUSES, TOKEN_FAILING, engine_model

# A valid token this close to expiry shows as "expiring" (refresh should have happened).
TOKEN_EXPIRING_WITHIN = timedelta(minutes=10)


def dead_by_flow() -> dict[int, int]:
    """Dead letters nobody has resolved or ignored (a resolved one needs no one's attention)."""
    SyncItem = engine_model("SyncItem")
    return dict(SyncItem.objects.filter(status=DEAD, resolution="").values("flow_id").annotate(n=Count("id")).values_list("flow_id", "n"))


def backlog_by_flow() -> dict[int, dict]:
    """Open (pending or retrying) items per flow: how many, and when the oldest arrived."""
    SyncItem = engine_model("SyncItem")
    rows = (SyncItem.objects.filter(status__in=OPEN_STATUSES).values("flow_id")
            .annotate(n=Count("id"), oldest=Min("created_at")))
    return {r["flow_id"]: {"count": r["n"], "oldest": r["oldest"]} for r in rows}


def cursor_watermark(value: str) -> datetime | None:
    """A cursor value as a time: ISO 8601, or Infor's compact yyyyMMddHHmmss; None otherwise."""
    value = (value or "").strip()
    if len(value) == 14 and value.isdigit():
        try:
            return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=dt_timezone.utc)
        except ValueError:
            return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt_timezone.utc)
    return parsed


def cursor_lag(cursor, now: datetime) -> tuple[float | None, str]:
    """(seconds behind, basis): how old the watermark is, else how long since the last run."""
    mark = cursor_watermark(cursor.value)
    if mark is not None:
        return max(0.0, (now - mark).total_seconds()), "watermark"
    if cursor.last_run_at is not None:
        return max(0.0, (now - cursor.last_run_at).total_seconds()), "last run"
    return None, "never run"


def token_state(connection, now: datetime) -> str:
    """valid / expiring / failing / none, with expiry judged now rather than when last stored."""
    state = connection.token_state
    if state == TOKEN_FAILING or state == "none":
        return state
    if connection.token_expires_at and connection.token_expires_at <= now + TOKEN_EXPIRING_WITHIN:
        return "expiring"
    return state

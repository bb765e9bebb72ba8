"""Current-state measures shared by the dashboard and the alert rules.

Each is one indexed query (SyncItem's (flow, status) and (status, next_attempt_at) indexes),
so they stay fast however long the history grows.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

from django.db.models import Count, Min
from django.utils.dateparse import parse_datetime

from .refs import DEAD, OPEN_STATUSES, RETRYING, SKIPPED, SUCCEEDED, TOKEN_FAILING, engine_model

# A valid token this close to expiry shows as "expiring" (refresh should have happened).
TOKEN_EXPIRING_WITHIN = timedelta(minutes=10)


def dead_by_flow(*, before: datetime | None = None) -> dict[int, int]:
    """Dead letters nobody has resolved or ignored, per flow (a resolved one needs no one's attention);
    ``before``: only those that died before then (have waited since)."""
    SyncItem = engine_model("SyncItem")
    qs = SyncItem.objects.filter(status=DEAD, resolution="")
    if before is not None:
        qs = qs.filter(finished_at__lt=before)
    return dict(qs.values("flow_id").annotate(n=Count("id")).order_by().values_list("flow_id", "n"))


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
    """(seconds behind, basis), judged against the source's own changes.

    A poll that read the source to its end (``caught_up_at``) shows nothing was waiting then, however
    old the watermark (a quiet stream keeps its last change's stamp): behind is measured from the later
    of the two. Without either, how long since the last run."""
    mark = cursor_watermark(cursor.value)
    caught_up = getattr(cursor, "caught_up_at", None)
    if caught_up is not None and (mark is None or caught_up > mark):
        return max(0.0, (now - caught_up).total_seconds()), "last complete poll"
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


# Where the items that arrived in a window stand now. Every status falls in exactly one column,
# so received = succeeded + skipped + retrying + dead + open (pending, running, held).
ARRIVAL_COLUMNS = ("succeeded", "skipped", "retrying", "dead", "open")
_ARRIVAL_COLUMN = {SUCCEEDED: "succeeded", SKIPPED: "skipped", RETRYING: "retrying", DEAD: "dead"}


def arrivals_by_flow(start: datetime, end: datetime) -> dict[int, dict]:
    """{flow id: {received, succeeded, skipped, retrying, dead, open}} for items created in [start, end]."""
    SyncItem = engine_model("SyncItem")
    rows = (SyncItem.objects.filter(created_at__gte=start, created_at__lte=end)
            .values("flow_id", "status").annotate(n=Count("id")).order_by())
    out: dict[int, dict] = {}
    for r in rows:
        counts = out.setdefault(r["flow_id"], dict.fromkeys(("received", *ARRIVAL_COLUMNS), 0))
        counts[_ARRIVAL_COLUMN.get(r["status"], "open")] += r["n"]
        counts["received"] += r["n"]
    return out

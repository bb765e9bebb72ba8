"""getUpdated / getDeleted by Salesforce's data-replication rules (reference §3.8; SOAP guide,
getDeleted() "Rules and Guidelines"; GetDeletedResult):

- a window is whole UTC minutes (seconds are ignored) and start must precede end by more than
  one minute: a shorter window is not asked about yet (nothing is covered, try again later);
- getDeleted reaches back 15 days, getUpdated 30; getDeleted not before the delete log's last
  purge either (``earliestDateAvailable``; Salesforce answers INVALID_REPLICATION_DATE or a
  result that starts later, see the simulator's ``purged_window_error``). Both are a
  ``ReplicationGap``: what happened before ``resume_at`` can no longer be read;
- ``latestDateCovered`` (≤ end) is where the next window must start: changes still in flight
  at ``end`` are returned by the next call, not by this one;
- more than 600,000 ids answer EXCEEDED_ID_LIMIT: the window is split in two and read in order.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.utils import timezone

from integrations.errors import FatalError

REACH_DAYS = {"updated": 30, "deleted": 15}
MIN_WINDOW = timedelta(minutes=2)  # "more than one minute", in whole minutes


class ReplicationGap(FatalError):
    """Part of the window can no longer be read: changes from ``start`` up to ``resume_at``
    (None: unknown, read again from now) may have been missed."""

    def __init__(self, message: str, *, start: datetime, resume_at: datetime | None, **kwargs):
        super().__init__(message, **kwargs)
        self.start, self.resume_at = start, resume_at


@dataclass
class Replicated:
    id: str
    at: datetime | None = None  # deletedDate (getDeleted only)


@dataclass
class ReplicationResult:
    records: list[Replicated] = field(default_factory=list)
    latest_covered: datetime | None = None  # the next window's start
    earliest_available: datetime | None = None  # getDeleted only


def utc_minute(value: datetime) -> datetime:
    """The whole UTC minute a datetime falls in (naive values are taken as UTC)."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt_timezone.utc)
    return value.astimezone(dt_timezone.utc).replace(second=0, microsecond=0)


def sf_datetime_parse(text) -> datetime | None:
    """A Salesforce datetime ("2024-05-01T10:00:00.000+0000") as an aware datetime; None when absent or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def minute_up(value: datetime) -> datetime:
    """The first whole UTC minute at or after ``value`` (windows are whole minutes)."""
    minute = utc_minute(value)
    return minute if minute == value else minute + timedelta(minutes=1)


def replication_read(call: Callable[[datetime, datetime], dict], *, kind: str, sobject: str, start: datetime,
                     end: datetime, now: datetime | None = None) -> ReplicationResult:
    """Read ``kind`` ("updated" | "deleted") for [start, end) by the rules above;
    ``call(start, end)`` makes the API call itself."""
    now = utc_minute(now or timezone.now())
    start, end = utc_minute(start), min(utc_minute(end), now)
    reach = now - timedelta(days=REACH_DAYS[kind])
    if start < reach:
        raise ReplicationGap(
            f"Salesforce keeps {sobject} {_words(kind)} for {REACH_DAYS[kind]} days only: what happened between "
            f"{_when(start)} and {_when(reach)} can no longer be read.", start=start, resume_at=reach + timedelta(minutes=1))
    if end - start < MIN_WINDOW:
        return ReplicationResult(latest_covered=start)  # too short to ask yet: nothing covered
    return _read(call, kind=kind, sobject=sobject, start=start, end=end)


def _read(call, *, kind: str, sobject: str, start: datetime, end: datetime) -> ReplicationResult:
    try:
        body = call(start, end)
    except FatalError as exc:
        code = exc.detail.get("errorCode") if isinstance(exc.detail, dict) else ""
        if code == "EXCEEDED_ID_LIMIT":
            return _read_halves(call, kind=kind, sobject=sobject, start=start, end=end, error=exc)
        if code == "INVALID_REPLICATION_DATE":
            raise ReplicationGap(
                f"Salesforce refused to list {sobject} {_words(kind)} since {_when(start)} ({exc.detail.get('message')}): "
                + ("its delete log was purged after that time, so deletes since then may have been missed."
                   if kind == "deleted" else "that time is outside what it keeps, so changes since then may have "
                   "been missed."),
                start=start, resume_at=None, http_status=exc.http_status, detail=exc.detail) from None
        raise
    result = ReplicationResult(latest_covered=sf_datetime_parse(body.get("latestDateCovered")) or start,
                               earliest_available=sf_datetime_parse(body.get("earliestDateAvailable")))
    if result.earliest_available and result.earliest_available > start:
        raise ReplicationGap(
            f"Salesforce's delete log for {sobject} starts at {_when(result.earliest_available)} (purged): deletes "
            f"between {_when(start)} and then can no longer be read.", start=start, resume_at=minute_up(result.earliest_available))
    if kind == "deleted":
        result.records = [Replicated(r["id"], sf_datetime_parse(r.get("deletedDate"))) for r in body.get("deletedRecords") or []]
    else:
        result.records = [Replicated(record_id) for record_id in body.get("ids") or []]
    return result


def _read_halves(call, *, kind: str, sobject: str, start: datetime, end: datetime, error) -> ReplicationResult:
    """EXCEEDED_ID_LIMIT: "choose start and end dates that are closer together"."""
    middle = utc_minute(start + (end - start) / 2)
    if middle - start < MIN_WINDOW or end - middle < MIN_WINDOW:
        raise FatalError(f"Salesforce lists too many {sobject} {_words(kind)} in two minutes ({_when(start)}) to read "
                         "them this way; read the object in full instead (backfill).", detail=error.detail)
    first = _read(call, kind=kind, sobject=sobject, start=start, end=middle)
    if first.latest_covered < middle:  # the first half is not fully covered yet: go on from there next time
        return first
    second = _read(call, kind=kind, sobject=sobject, start=middle, end=end)
    return ReplicationResult(records=first.records + second.records, latest_covered=second.latest_covered,
                             earliest_available=first.earliest_available)


def _words(kind: str) -> str:
    return "deletes" if kind == "deleted" else "changes"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")

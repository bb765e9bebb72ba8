"""Dates and datetimes with explicit input formats and time zones.

FreshBooks accounting datetimes are "YYYY-MM-DD HH:MM:SS" in US/Eastern with no zone marker;
Salesforce sends "2013-05-20T20:49:32.000+0000"; M3 dates are "yyyyMMdd". Datetimes leave
a transform in UTC unless format_date renders them in another zone.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import Env, TransformError, blank, show

DEFAULT_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y%m%d")


def zone(name: str | None):
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformError(f"uses an unknown time zone {name!r}") from None


def _parse(x, formats) -> datetime | date:
    if isinstance(x, datetime) or isinstance(x, date):
        return x
    text = str(x).strip()
    for fmt in formats or ():
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in DEFAULT_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    expected = ", ".join(formats) if formats else "YYYY-MM-DD or an ISO 8601 date-time"
    raise TransformError(f"{show(x)} is not a date (expected {expected})", x)


def date_of(x, formats, tz) -> date:
    parsed = _parse(x, formats)
    if isinstance(parsed, datetime):
        if parsed.tzinfo is not None and tz:
            parsed = parsed.astimezone(zone(tz))
        return parsed.date()
    return parsed


def datetime_of(x, formats, tz) -> datetime:
    parsed = _parse(x, formats)
    if not isinstance(parsed, datetime):
        parsed = datetime(parsed.year, parsed.month, parsed.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz) or timezone.utc)
    return parsed.astimezone(timezone.utc)


def to_date(x, env: Env, formats=None, tz=None):
    """A calendar date. "2021-04-16" → 2021-04-16 · "20210416" → 2021-04-16 ·
    formats=["%d/%m/%Y"]: "16/04/2021" → 2021-04-16 · a date-time with tz="US/Eastern" gives the Eastern day."""
    if blank(x):
        return None
    return date_of(x, formats, tz)


def to_datetime(x, env: Env, formats=None, tz="UTC"):
    """A moment in time (UTC). tz is the zone of inputs without an offset:
    FreshBooks "2020-11-01 13:11:10" with tz="US/Eastern" → 2020-11-01T18:11:10Z ·
    Salesforce "2013-05-20T20:49:32.000+0000" → 2013-05-20T20:49:32Z."""
    if blank(x):
        return None
    return datetime_of(x, formats, tz)


def format_date(x, env: Env, format="%Y-%m-%d", tz=None, formats=None):
    """Render a date or date-time as text: format="%Y%m%d" → "20210416" (M3) ·
    tz="US/Eastern" renders a date-time in that zone ("%Y-%m-%d %H:%M:%S" for FreshBooks)."""
    if blank(x):
        return None
    parsed = _parse(x, formats)
    if isinstance(parsed, datetime) and tz:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        parsed = parsed.astimezone(zone(tz))
    return parsed.strftime(format)

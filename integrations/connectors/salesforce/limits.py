"""API usage: ``Sforce-Limit-Info: api-usage=N/M[; per-app-api-usage=n/m(appName=x)]`` read
after every call into Connection.api_usage, and the pause of non-urgent work once the daily
budget passes a threshold (connection setting ``api_budget_pause_ratio``, default
SALESFORCE_API_BUDGET_PAUSE_RATIO = 0.8)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.errors import RetryableError
from integrations.models import Connection

USAGE_RE = re.compile(r"(?P<name>[\w-]+)=(?P<used>\d+)/(?P<limit>\d+)")


def limit_info_parse(header: str) -> dict:
    usage = {}
    for match in USAGE_RE.finditer(header or ""):
        usage[match["name"]] = {"used": int(match["used"]), "limit": int(match["limit"])}
    return usage


def _usage_band(usage: dict) -> tuple[int, int] | None:
    """The usage to a tenth of a percent of the limit: finer than the dashboard shows it and than
    any pause threshold needs."""
    used, limit = usage.get("used"), usage.get("limit")
    return (limit, used * 1000 // limit) if isinstance(used, int) and isinstance(limit, int) and limit > 0 else None


def _stored_recently(usage: dict, now) -> bool:
    try:
        seen = datetime.fromisoformat(usage["seen_at"])
    except (KeyError, TypeError, ValueError):
        return False
    return timedelta(0) <= now - seen < timedelta(seconds=settings.SALESFORCE_API_USAGE_STORE_SECONDS)


def connection_usage_record(*, connection: Connection, header: str) -> None:
    """Keep the connection's usage current (this process reads it at once: budget_check). Stored
    when it moved by a tenth of a percent of the limit or the stored figure is older than
    SALESFORCE_API_USAGE_STORE_SECONDS: every call of every worker used to write the row, one
    UPDATE per Salesforce call for a figure that had not visibly changed. ``seen_at`` stays the
    time it was stored."""
    usage = limit_info_parse(header).get("api-usage")
    if not usage:
        return
    now = timezone.now()
    before = (connection.api_usage or {}).get("api_usage") or {}
    if _usage_band(usage) is not None and _usage_band(usage) == _usage_band(before) and _stored_recently(before, now):
        connection.api_usage = {**connection.api_usage, "api_usage": {**usage, "seen_at": before["seen_at"]}}
        return
    value = {**connection.api_usage, "api_usage": {**usage, "seen_at": now.isoformat()}}
    connection.api_usage = value
    Connection.objects.filter(pk=connection.pk).update(api_usage=value)


def pause_ratio(connection: Connection) -> float:
    return float(connection.settings.get("api_budget_pause_ratio", settings.SALESFORCE_API_BUDGET_PAUSE_RATIO))


def budget_check(*, connection: Connection) -> None:
    """Raise RetryableError for non-urgent work when the daily budget is past the threshold."""
    usage = (connection.api_usage or {}).get("api_usage") or {}
    used, limit = usage.get("used", 0), usage.get("limit", 0)
    ratio = pause_ratio(connection)
    if limit and used / limit >= ratio:
        raise RetryableError(
            f"Salesforce API budget is {used / limit:.0%} used ({used} of {limit} calls today); non-urgent sync is "
            f"paused above {ratio:.0%} and will resume automatically.",
            retry_after=settings.SALESFORCE_API_BUDGET_RETRY_SECONDS,
        )

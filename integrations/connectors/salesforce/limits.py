"""API usage: ``Sforce-Limit-Info: api-usage=N/M[; per-app-api-usage=n/m(appName=x)]`` read
after every call into Connection.api_usage, and the pause of non-urgent work once the daily
budget passes a threshold (connection setting ``api_budget_pause_ratio``, default
SALESFORCE_API_BUDGET_PAUSE_RATIO = 0.8)."""
from __future__ import annotations

import re

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


def connection_usage_record(*, connection: Connection, header: str) -> None:
    usage = limit_info_parse(header).get("api-usage")
    if not usage:
        return
    value = {**connection.api_usage, "api_usage": {**usage, "seen_at": timezone.now().isoformat()}}
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

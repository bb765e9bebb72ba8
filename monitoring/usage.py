"""Reading API budgets out of ``Connection.api_usage``.

The Salesforce connector stores what each response's ``Sforce-Limit-Info`` header reports as
``{"api_usage": {"used": 1000, "limit": 15000, "seen_at": "…"}}``
(integrations/connectors/salesforce/limits.py). These other shapes are understood too:
``{"DailyApiRequests": {"Max": 15000, "Remaining": 14000}}`` (the ``/limits`` resource),
``{"api-usage": "1000/15000"}`` or ``{"api_usage": "api-usage=1000/15000"}`` (the
``Sforce-Limit-Info`` header, raw), or ``{"daily_used": 1000, "daily_limit": 15000}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(r"(\d+)\s*/\s*(\d+)")


@dataclass(frozen=True)
class Budget:
    used: int
    limit: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.used / self.limit, 1) if self.limit else 0.0


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def api_budget_parse(usage: dict | None) -> Budget | None:
    usage = usage or {}
    for key in ("api_usage", "api-usage"):  # what the connector stores (and simple-salesforce's key)
        stored = usage.get(key)
        if isinstance(stored, dict) and _int(stored.get("limit")):
            return Budget(used=_int(stored.get("used")) or 0, limit=_int(stored["limit"]))
    daily = usage.get("DailyApiRequests")
    if isinstance(daily, dict) and _int(daily.get("Max")):
        remaining = _int(daily.get("Remaining")) or 0
        return Budget(used=_int(daily["Max"]) - remaining, limit=_int(daily["Max"]))
    for key in ("api-usage", "api_usage", "Sforce-Limit-Info", "sforce_limit_info"):
        match = _HEADER.search(str(usage.get(key, "")))
        if match and int(match.group(2)):
            return Budget(used=int(match.group(1)), limit=int(match.group(2)))
    if _int(usage.get("daily_limit")):
        return Budget(used=_int(usage.get("daily_used")) or 0, limit=_int(usage["daily_limit"]))
    return None

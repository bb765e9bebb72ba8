"""SOQL date literals (TODAY, LAST_N_DAYS:n, THIS_MONTH, …) as [start, end) date ranges in UTC."""
from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone


def _month_start(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _week_start(day: date, shift: int = 0) -> date:
    # Salesforce weeks start on Sunday (default locale).
    return day - timedelta(days=(day.weekday() + 1) % 7) + timedelta(weeks=shift)


def date_literal_range(name: str, n: int | None) -> tuple[date, date] | None:
    today = timezone.now().date()
    day = timedelta(days=1)
    fixed = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (_week_start(today), _week_start(today, 1)),
        "LAST_WEEK": (_week_start(today, -1), _week_start(today)),
        "NEXT_WEEK": (_week_start(today, 1), _week_start(today, 2)),
        "THIS_MONTH": (_month_start(today), _month_start(today, 1)),
        "LAST_MONTH": (_month_start(today, -1), _month_start(today)),
        "NEXT_MONTH": (_month_start(today, 1), _month_start(today, 2)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "THIS_YEAR": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "LAST_YEAR": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
    }
    if n is None:
        return fixed.get(name)
    if name == "LAST_N_DAYS":
        return today - n * day, today + day
    if name == "NEXT_N_DAYS":
        return today + day, today + (n + 1) * day
    if name == "LAST_N_MONTHS":
        return _month_start(today, -n), _month_start(today)
    if name == "NEXT_N_MONTHS":
        return _month_start(today, 1), _month_start(today, n + 1)
    return None

"""FreshBooks wire formats: money strings, US/Eastern accounting datetimes, dates.

Accounting datetimes are "YYYY-MM-DD HH:MM:SS" in US/Eastern with no zone marker; a
client's signup_date is the documented exception (UTC). Money is {"amount": "1.00", "code": "USD"}.
"""
from __future__ import annotations

from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("US/Eastern")
CENT = Decimal("0.01")


class BadValue(ValueError):
    """A request value of the wrong type; ``errno`` is FreshBooks' mapping-error number."""

    def __init__(self, message: str, errno: int):
        super().__init__(message)
        self.errno = errno


def eastern(value: datetime) -> str:
    return value.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M:%S")


def utc_plain(value: datetime) -> str:
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def eastern_date(value: datetime) -> date:
    return value.astimezone(EASTERN).date()


def decimal_of(value, *, field: str) -> Decimal:
    """Parse a number sent as a JSON number or a string (errno 1015 MappingErrorNumber)."""
    if isinstance(value, bool) or value is None:
        raise BadValue(f"'{field}' must be a number.", 1015)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BadValue(f"'{field}' must be a number.", 1015) from None
    if not number.is_finite():
        raise BadValue(f"'{field}' must be a number.", 1015)
    return number


def number_text(value: Decimal) -> str:
    """A quantity or percentage as FreshBooks writes it ("qty": "4", "10", "2.5"): plain digits,
    no trailing zeros and never an exponent (str(Decimal("10").normalize()) is "1E+1")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def money_amount(value, *, field: str) -> Decimal:
    """Accept {"amount": "1.5", "code": ...} or a bare number; return the amount to the cent."""
    if isinstance(value, dict):
        value = value.get("amount")
    return decimal_of(value, field=field).quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal | str, code: str) -> dict:
    return {"amount": str(Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)), "code": code}


def int_of(value, *, field: str) -> int:
    if isinstance(value, bool):
        raise BadValue(f"'{field}' must be a whole number.", 1015)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BadValue(f"'{field}' must be a whole number.", 1015) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise BadValue(f"'{field}' must be a whole number.", 1015)
    return int(number)


def date_of(value, *, field: str) -> str:
    """A YYYY-MM-DD date (errno 1033 MappingErrorDate)."""
    try:
        return date.fromisoformat(str(value)).isoformat()
    except (TypeError, ValueError):
        raise BadValue(f"'{field}' must be a date in the form YYYY-MM-DD.", 1033) from None


def bool_of(value, *, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in {"true", "1"}:
        return True
    if str(value).lower() in {"false", "0"}:
        return False
    raise BadValue(f"'{field}' must be true or false.", 1031)

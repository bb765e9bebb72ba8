"""FreshBooks values in and out: money as Decimal, accounting datetimes in US/Eastern.

- Money arrives as {"amount": "41.94", "code": "CAD"} (sometimes a bare number); amounts
  are parsed with Decimal, never float, and written back as strings.
- Accounting datetimes are "YYYY-MM-DD HH:MM:SS" in US/Eastern with no zone marker. The
  documented exceptions are UTC: a client's signup_date, bill / bill_vendor created_at and
  updated_at, tax_defaults; any string with a "T" (ISO 8601) is UTC too.
- Search dates (`search[updated_min]`) have day granularity in the account's US/Eastern day.
"""
from __future__ import annotations

from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("US/Eastern")
CENT = Decimal("0.01")
UTC_DATETIME_FIELDS: dict[str, set[str]] = {
    "client": {"signup_date"},
    "bill": {"created_at", "updated_at"},
    "bill_vendor": {"created_at", "updated_at"},
    "tax_defaults": {"created_at", "updated_at"},
}


def money_amount(value) -> Decimal | None:
    """The Decimal amount of a FreshBooks money value (None when absent)."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)  # never let binary floating point into an amount
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount of money") from None


def money_value(amount, code: str) -> dict:
    """A money value to send: the amount as a string rounded to the cent, with its currency."""
    number = money_amount(amount)
    if number is None:
        raise ValueError("an amount of money is required")
    return {"amount": str(number.quantize(CENT, rounding=ROUND_HALF_UP)), "code": code}


def accounting_datetime(value: str | None, *, resource: str = "", field: str = "") -> datetime | None:
    """Parse an accounting datetime into an aware UTC datetime."""
    if not value:
        return None
    text = str(value).strip()
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        return parsed.astimezone(dt_timezone.utc)
    if "T" in text or field in UTC_DATETIME_FIELDS.get(resource, set()):
        return parsed.replace(tzinfo=dt_timezone.utc)
    return parsed.replace(tzinfo=EASTERN).astimezone(dt_timezone.utc)


def accounting_datetime_text(value: datetime) -> str:
    """An aware datetime as FreshBooks writes accounting datetimes (US/Eastern, no marker)."""
    if value.tzinfo is None:
        raise ValueError("a time zone is required to write a FreshBooks datetime")
    return value.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M:%S")


def search_day(value: date | datetime | str) -> str:
    """A search bound (`updated_min`, `date_max` …): YYYY-MM-DD, datetimes in the US/Eastern day."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a time zone is required for a datetime search bound")
        return value.astimezone(EASTERN).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


# -- payment references ----------------------------------------------------------------------
# What another system stores to point back at a FreshBooks payment (Infor M3's ARS040 CKNO, 15
# characters in our schema of the transaction): "FBP-" and the whole id, never cut. FreshBooks
# payment ids have 6–8 digits today; 11 still fit. Finance can search either system for it.
PAYMENT_REFERENCE_PREFIX = "FBP-"


def payment_reference(payment_id, *, max_length: int = 15) -> str:
    """The reference naming one FreshBooks payment; ValueError when it cannot fit ``max_length``."""
    text = str(payment_id).strip()
    if not text.isdigit():
        raise ValueError(f"FreshBooks payment id {payment_id!r} is not a number")
    reference = f"{PAYMENT_REFERENCE_PREFIX}{int(text)}"
    if len(reference) > max_length:
        raise ValueError(f"the reference {reference} of FreshBooks payment {payment_id} is longer than "
                         f"{max_length} characters")
    return reference


def payment_reference_parse(reference: str) -> str | None:
    """The FreshBooks payment id a reference names (``payment_reference``'s inverse), else None."""
    text = (reference or "").strip().upper()
    number = text[len(PAYMENT_REFERENCE_PREFIX):] if text.startswith(PAYMENT_REFERENCE_PREFIX) else ""
    return str(int(number)) if number.isdigit() else None

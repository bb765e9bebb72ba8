"""Numbers and money: Decimal everywhere (never float) so no cent is lost."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

from ..context import RateNotFound
from . import Env, TransformError, blank, show

# ISO 4217 minor units where they are not 2.
CURRENCY_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KMF": 0,
    "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0, "VND": 0,
    "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}
ROUNDING = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP}


def currency_exponent(code: str | None) -> int:
    return CURRENCY_EXPONENTS.get((code or "").upper(), 2)


def decimal_of(x, *, decimal_separator=".", thousands_separator="") -> Decimal:
    if isinstance(x, dict) and "amount" in x:  # FreshBooks money {"amount": "1.00", "code": "USD"}
        x = x["amount"]
    if isinstance(x, bool):
        raise TransformError(f"{show(x)} is not a number", x)
    if isinstance(x, Decimal):
        result = x
    elif isinstance(x, (int, float)):
        result = Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    else:
        text = str(x).strip().replace(" ", "")
        if thousands_separator:
            text = text.replace(thousands_separator, "")
        if decimal_separator != ".":
            text = text.replace(decimal_separator, ".")
        try:
            result = Decimal(text)
        except (InvalidOperation, ValueError):
            raise TransformError(f"{show(x)} is not a number", x) from None
    if not result.is_finite():
        raise TransformError(f"{show(x)} is not a number", x)
    return result


def to_decimal(x, env: Env, decimal_separator=".", thousands_separator=""):
    """Read a number exactly (as a Decimal), from text, a number or a money object.

    "1234.50" → 1234.50 · "1.234,5" with decimal_separator="," thousands_separator="." → 1234.5 ·
    {"amount": "41.94", "code": "CAD"} → 41.94 · "abc" → error "'abc' is not a number".
    """
    if blank(x):
        return None
    return decimal_of(x, decimal_separator=decimal_separator, thousands_separator=thousands_separator)


def to_int(x, env: Env):
    """A whole number. "4" → 4 · "4.00" → 4 · "2.5" → error "'2.5' is not a whole number"."""
    if blank(x):
        return None
    d = decimal_of(x)
    if d != d.to_integral_value():
        raise TransformError(f"{show(x)} is not a whole number", x)
    return int(d)


def to_number(x, env: Env):
    """A JSON number for APIs that want numbers (e.g. Salesforce Amount): "12.50" → 12.5 · "3" → 3."""
    if blank(x):
        return None
    d = decimal_of(x)
    return int(d) if d == d.to_integral_value() else float(d)


def multiply(x, env: Env, by="1"):
    """Multiply by a constant: by=-1 negates (credit lines), by=100 turns units into cents. "2.5" → 5.0 with by=2."""
    if blank(x):
        return None
    return decimal_of(x) * Decimal(str(by))


def round_amount(x, env: Env, places=None, currency=None, currency_field=None, mode="half_even"):
    """Round to places, or to the currency's minor units (USD 2, JPY 0, KWD 3).

    mode "half_even" (banker's: 2.665 → 2.66) or "half_up" (2.665 → 2.67).
    A money object keeps its shape and rounds its amount by its own code.
    """
    if blank(x):
        return None
    code = currency or (env.get(currency_field) if currency_field else None)
    if isinstance(x, dict) and "amount" in x:
        code = code or x.get("code")
        return {**x, "amount": _quantize(decimal_of(x), places, code, mode)}
    return _quantize(decimal_of(x), places, code, mode)


def _quantize(d: Decimal, places, code, mode) -> Decimal:
    exponent = int(places) if places is not None else currency_exponent(code)
    return d.quantize(Decimal(1).scaleb(-exponent), rounding=ROUNDING[mode])


def money(x, env: Env, code=None, code_field=None, places=None, mode="half_even"):
    """A money object {"amount": "<decimal string>", "code": "<ISO code>"} (FreshBooks shape).

    "27" with code="CAD" → {"amount": "27.00", "code": "CAD"} · code_field="CurrencyIsoCode" reads the code
    from the record · a money object passes through, re-rounded.
    """
    if blank(x):
        return None
    currency = _currency(x, env, code, code_field, "has no currency code (set code, or code_field to a field that holds it)")
    return {"amount": str(_quantize(decimal_of(x), places, currency, mode)), "code": currency}


def convert_currency(x, env: Env, to_currency, from_currency=None, from_currency_field=None, date=None,
                     date_field=None, round=True, mode="half_even"):
    """Convert with the dated rate (nearest earlier date) from Currency rates.

    100 USD→EUR on 2024-01-05 with rate 0.9 → 90.00 · date_field="CloseDate" takes the rate date from
    the record (default: today) · a money object converts into a money object in to_currency.
    """
    if blank(x):
        return None
    source = _currency(x, env, from_currency, from_currency_field,
                       "has no currency to convert from (set from_currency or from_currency_field)")
    on = _rate_date(env, date, date_field)
    try:
        rate = env.context.rate(source, to_currency.upper(), on)
    except RateNotFound as exc:
        raise TransformError(f"cannot be converted: {exc}", x) from None
    amount = decimal_of(x) * rate
    if round:
        amount = _quantize(amount, None, to_currency, mode)
    return {"amount": str(amount), "code": to_currency.upper()} if isinstance(x, dict) else amount


def _currency(x, env: Env, code, code_field, missing: str) -> str:
    """The currency code: given, read from a field, or carried by a money object."""
    currency = code or (env.get(code_field) if code_field else None)
    if isinstance(x, dict):
        currency = currency or x.get("code")
    if blank(currency):
        raise TransformError(f"{show(x)} {missing}", x)
    return str(currency).upper()


def _rate_date(env: Env, fixed, field) -> date:
    from .dates import date_of

    raw = fixed or (env.get(field) if field else None)
    if blank(raw):
        from django.utils import timezone

        return timezone.now().date()
    return date_of(raw, None, None)

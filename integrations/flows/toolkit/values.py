"""Reading values as finance reads them: amounts and equality across two systems' formats."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from integrations.errors import FatalError


def value_same(a, b) -> bool:
    """Equal as finance would read them: blank is blank, 10 == 10.00, text ignores outer spaces."""
    a, b = _plain(a), _plain(b)
    if a == b:
        return True
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError, TypeError):
        return False


def _plain(value):
    if isinstance(value, dict) and "amount" in value:
        value = value["amount"]
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


def decimal_of(value, default: str = "0") -> Decimal:
    """An amount (a number, text, or FreshBooks' {"amount": …}); anything else is a FatalError."""
    if isinstance(value, dict):
        value = value.get("amount")
    try:
        return Decimal(str(value if value not in (None, "") else default))
    except InvalidOperation:
        raise FatalError(f"'{value}' is not an amount.") from None

"""The shop order every eCommerce source is parsed into, and the shared webhook helpers.

Money is Decimal end to end: bodies are parsed with ``parse_float=Decimal`` (WooCommerce
sends some prices as JSON numbers) and money strings are read with Decimal. Ids stay
strings: Shopify ids are 64-bit and would lose digits in anything that reads JSON numbers
as doubles. ``to_payload`` gives the JSON-safe form stored on the InboundEvent (amounts as
exact decimal strings); ``ShopOrder.from_payload`` gives the Decimals back to a flow.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from integrations.connectors.receiving import BodyInvalid, json_body_parse


class OrderInvalid(ValueError):
    """The body is not an order we can read; the message says which field is wrong."""


@dataclass
class ShopCustomer:
    id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass
class ShopLine:
    """A product line at its price before discounts (``total`` = quantity × unit price as the shop states it);
    ``discount`` is what the order's discounts took off this line (positive)."""

    id: str
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    discount: Decimal = Decimal("0")


@dataclass
class ShopCharge:
    """An amount beside the product lines that makes up the order total, signed as it counts:
    ``discount`` (negative; ``code`` keeps the discount code), ``shipping``, ``tax`` (only tax the
    prices exclude: included tax is already in the prices) and ``fee``."""

    kind: str
    title: str
    amount: Decimal
    code: str = ""

    @classmethod
    def from_payload(cls, data: dict) -> ShopCharge:
        return cls(**{**data, "amount": Decimal(data["amount"])})


@dataclass
class ShopRefund:
    """Money given back, in the order's currency: ``amount`` in all (lines with their tax, shipping)."""

    id: str
    created_at: str
    amount: Decimal
    note: str = ""
    lines: list[dict] = field(default_factory=list)  # {"line_id", "quantity", "amount"} as text

    @classmethod
    def from_payload(cls, data: dict) -> ShopRefund:
        return cls(**{**data, "amount": Decimal(data["amount"])})


MONEY_FIELDS = ("subtotal", "tax", "shipping", "total", "discount_total", "included_tax")


@dataclass
class ShopOrder:
    source: str
    id: str
    number: str
    currency: str
    created_at: str
    modified_at: str
    status: str
    customer: ShopCustomer
    lines: list[ShopLine] = field(default_factory=list)
    subtotal: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    shipping: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    charges: list[ShopCharge] = field(default_factory=list)
    discount_codes: list[str] = field(default_factory=list)
    discount_total: Decimal = Decimal("0")
    taxes_included: bool = False
    included_tax: Decimal = Decimal("0")
    #: the store's own currency and the same order in it, when the customer paid in another (Shopify's
    #: presentment currency); the amounts above are always in ``currency``, what the customer paid
    shop_currency: str = ""
    in_shop_currency: dict | None = None
    refunds: list[ShopRefund] = field(default_factory=list)
    cancelled: bool = False
    cancelled_at: str = ""
    cancel_reason: str = ""
    fulfilled: bool = False

    def to_payload(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=str))

    @classmethod
    def from_payload(cls, data: dict) -> ShopOrder:
        lines = [ShopLine(**{**line, **{k: Decimal(line[k]) for k in ("quantity", "unit_price", "total", "discount")
                                        if k in line}})
                 for line in data.get("lines", [])]
        money = {k: Decimal(data[k]) for k in MONEY_FIELDS if k in data}
        charges = [ShopCharge.from_payload(charge) for charge in data.get("charges", [])]
        refunds = [ShopRefund.from_payload(refund) for refund in data.get("refunds", [])]
        rest = {k: v for k, v in data.items()
                if k in cls.__dataclass_fields__ and k not in money and k not in ("lines", "charges", "refunds")}
        return cls(**{**rest, "customer": ShopCustomer(**data.get("customer", {})), "lines": lines,
                      "charges": charges, "refunds": refunds, **money})


# Shopify's and WooCommerce's ids are unsigned 64-bit integers (Shopify's line ids use the top bit).
MAX_ID = 2**64 - 1
# Amounts beyond these are not money (and would make quantity × price overflow Decimal's context).
MAX_AMOUNT = Decimal(10) ** 15
MAX_DECIMALS = 12


def json_loads_exact(body: bytes) -> dict:
    """Parse a webhook body keeping every number exact (big ints as int, decimals as Decimal)."""
    try:
        data = json_body_parse(body, parse_float=Decimal)
    except BodyInvalid as exc:
        raise OrderInvalid(str(exc)) from None
    if not isinstance(data, dict):
        raise OrderInvalid("The body must be a JSON object (one order).")
    return data


def _shown(value) -> str:
    return str(value)[:40]


def mapping(data: dict, key: str, *, where: str = "order") -> dict:
    """A nested object (absent or null: empty); anything else is refused with a sentence."""
    value = data.get(key)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise OrderInvalid(f"The {where}'s {key} must be a JSON object, not {type(value).__name__}.")
    return value


def objects(data: dict, key: str, *, where: str = "order", item: str = "line") -> list[dict]:
    """A list of objects (absent or null: empty), e.g. the order's line_items."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise OrderInvalid(f"The {where}'s {key} must be a JSON list, not {type(value).__name__}.")
    for position, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise OrderInvalid(f"The {where}'s {key}: {item} {position} must be a JSON object, "
                               f"not {type(entry).__name__}.")
    return value


def money(data: dict, key: str, *, where: str = "order", default: str = "0") -> Decimal:
    value = data.get(key)
    if value in (None, ""):
        value = default
    if isinstance(value, (bool, dict, list)):
        raise OrderInvalid(f"The {where}'s {key} '{_shown(value)}' is not an amount.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise OrderInvalid(f"The {where}'s {key} '{_shown(value)}' is not an amount.") from None
    if not amount.is_finite():
        raise OrderInvalid(f"The {where}'s {key} '{_shown(value)}' is not an amount.")
    if abs(amount) >= MAX_AMOUNT or amount.as_tuple().exponent < -MAX_DECIMALS:
        raise OrderInvalid(f"The {where}'s {key} '{_shown(value)}' is not an amount (at most 15 digits before "
                           f"the point and {MAX_DECIMALS} after).")
    return amount


def flag(data: dict, key: str, *, where: str = "order") -> bool:
    value = data.get(key)
    if value in (None, ""):
        return False
    if not isinstance(value, bool):
        raise OrderInvalid(f"The {where}'s {key} must be true or false, not '{_shown(value)}'.")
    return value


def text(data: dict | None, key: str, *, where: str = "order") -> str:
    value = (data or {}).get(key)
    if isinstance(value, (dict, list)):
        raise OrderInvalid(f"The {where}'s {key} must be text or a number, not {type(value).__name__}.")
    return "" if value is None else str(value).strip()


def required_id(data: dict, key: str = "id", *, where: str = "order") -> str:
    """A positive whole number below 2^64, as digits (a JSON number or a string of digits)."""
    value = data.get(key)
    if value in (None, ""):
        raise OrderInvalid(f"The {where} has no {key}.")
    digits = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 20 and 0 < int(digits) <= MAX_ID):
        raise OrderInvalid(f"The {where}'s {key} '{_shown(value)}' is not a positive whole number below 2^64.")
    return str(int(digits))  # ints are exact in Python's json; never float() an id


def signature_base64(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, raw body)): the signature both Shopify and WooCommerce send."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(body: bytes, header: str, secrets: list[str]) -> bool:
    """Constant-time check against each configured secret (the current one and, while rotating, the previous)."""
    # Compared as bytes: a header may hold any character (compare_digest refuses non-ASCII str).
    header_bytes = (header or "").strip().encode("utf-8", "backslashreplace")
    return bool(header_bytes) and any(hmac.compare_digest(signature_base64(s, body).encode(), header_bytes)
                                      for s in secrets if s)

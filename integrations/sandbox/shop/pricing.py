"""What a simulated order costs: discounts, shipping, taxes and refunds, to the cent, as the shops compute them.

Every amount is Decimal and rounded to the cent half-up once, where the shop rounds it; the
totals are sums of rounded parts, so each body adds up exactly (as Shopify's and WooCommerce's do).

- Line discounts (``lines[i]["discount"]``, an amount off the line) and the order discount
  (``order_discount``, with or without ``discount_code``) — the order discount is spread over the
  lines in proportion to what is left of them, the last line taking the rounding remainder
  (Shopify's ``allocation_method: across``).
- Tax at one rate (``tax_rate`` percent) on each discounted line and on shipping. Exclusive: the
  tax is added per line. Inclusive (``taxes_included``): the prices hold the tax, which is
  ``net × r / (1 + r)`` per line.
- Presentment currency (Shopify): every price converted at ``presentment_rate`` and rounded,
  then priced like the shop currency; the customer pays the presentment total.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value, default: str = "0") -> Decimal:
    return Decimal(str(value if value not in (None, "") else default))


@dataclass
class PricedLine:
    quantity: Decimal
    price: Decimal
    gross: Decimal
    line_discount: Decimal
    order_discount: Decimal
    tax: Decimal  # exclusive: added; inclusive: the part of ``net`` that is tax

    @property
    def net(self) -> Decimal:
        return self.gross - self.line_discount - self.order_discount


@dataclass
class Priced:
    lines: list[PricedLine] = field(default_factory=list)
    shipping: Decimal = ZERO
    shipping_tax: Decimal = ZERO
    rate: Decimal = ZERO  # tax rate as a fraction
    included: bool = False

    @property
    def line_tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def tax(self) -> Decimal:
        return self.line_tax + self.shipping_tax

    @property
    def subtotal(self) -> Decimal:
        """After discounts (Shopify's ``subtotal_price``)."""
        return sum((line.net for line in self.lines), ZERO)

    @property
    def line_discounts(self) -> Decimal:
        return sum((line.line_discount for line in self.lines), ZERO)

    @property
    def order_discounts(self) -> Decimal:
        return sum((line.order_discount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + (ZERO if self.included else self.tax)


def _tax(amount: Decimal, rate: Decimal, included: bool) -> Decimal:
    return cents(amount * rate / (1 + rate)) if included else cents(amount * rate)


def order_priced(lines: list[dict], options: dict, *, convert: Decimal | None = None) -> Priced:
    """The order's amounts; ``convert`` (a rate) prices it in the presentment currency."""
    factor = convert if convert is not None else Decimal("1")
    rate, included = dec(options.get("tax_rate")) / 100, bool(options.get("taxes_included"))
    priced = Priced(rate=rate, included=included)
    for line in lines:
        quantity, price = dec(line["quantity"]), cents(dec(line["price"]) * factor)
        gross = quantity * price
        priced.lines.append(PricedLine(quantity=quantity, price=price, gross=gross,
                                       line_discount=min(cents(dec(line.get("discount")) * factor), gross),
                                       order_discount=ZERO, tax=ZERO))
    remaining = cents(dec(options.get("order_discount")) * factor)
    base = sum((line.gross - line.line_discount for line in priced.lines), ZERO)
    remaining = min(remaining, base)
    if remaining and base:
        spread = remaining
        for position, line in enumerate(priced.lines):
            last = position == len(priced.lines) - 1
            share = spread if last else cents(remaining * (line.gross - line.line_discount) / base)
            line.order_discount, spread = share, spread - share
    for line in priced.lines:
        line.tax = _tax(line.net, rate, included)
    priced.shipping = cents(dec(options.get("shipping")) * factor)
    priced.shipping_tax = _tax(priced.shipping, rate, included)
    return priced


@dataclass
class PricedRefund:
    lines: list[tuple[int, Decimal, Decimal, Decimal]] = field(default_factory=list)  # index, qty, subtotal, tax
    shipping: Decimal = ZERO
    shipping_tax: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """What goes back to the customer (subtotals and shipping as charged, plus their tax when added)."""
        return sum((s for _, _, s, _ in self.lines), ZERO) + self.shipping

    def amount(self, included: bool) -> Decimal:
        return self.total + (ZERO if included else sum((t for *_, t in self.lines), ZERO) + self.shipping_tax)


def refund_priced(priced: Priced, refund: dict) -> PricedRefund:
    """One refund: each line's share of its net amount and tax for the quantity refunded (all of it: exact)."""
    result = PricedRefund()
    for entry in refund.get("lines") or []:
        line = priced.lines[int(entry["index"])]
        quantity = dec(entry["quantity"])
        if quantity == line.quantity:
            subtotal, tax = line.net, line.tax
        else:
            subtotal, tax = cents(line.net * quantity / line.quantity), cents(line.tax * quantity / line.quantity)
        result.lines.append((int(entry["index"]), quantity, subtotal, tax))
    if refund.get("shipping"):
        result.shipping, result.shipping_tax = priced.shipping, priced.shipping_tax
    return result

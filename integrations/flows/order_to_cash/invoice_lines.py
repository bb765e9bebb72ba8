"""The FreshBooks invoice lines of a shop order, adding up to the order total to the cent.

Product lines at their price before discounts, then one line per discount (negative, named
after its code), shipping, fees and the taxes the prices exclude, each as a line of quantity 1
with the exact amount. Taxes are lines rather than FreshBooks tax percentages because
FreshBooks computes a percentage on each line and rounds it itself, which need not give the
cents the shop charged. Tax the prices include is named in the invoice notes only.

FreshBooks keeps unit costs to the cent, so a unit price with more decimals (WooCommerce's
subtotal / quantity) is rounded and the cents it loses go on a rounding line of their own.
Should the shop's parts still not add up to its total (the shop's data disagrees with itself),
the difference becomes one adjustment line, and ``InvoiceLines.difference`` says so the step
records a finding for finance.

Every line that is not a product carries ``description`` ``shop:<kind>``: the Infor order
step leaves those out (M3 order lines are items; see ``product_lines``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from integrations.connectors.shop.order import ShopOrder

CENT = Decimal("0.01")
MARK = "shop:"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class InvoiceLines:
    lines: list[dict] = field(default_factory=list)
    currency: str = ""
    total: Decimal = Decimal("0")
    #: the shop's total minus what the lines gave before the adjustment line (0: they added up)
    difference: Decimal = Decimal("0")
    notes: list[str] = field(default_factory=list)


def _line(name: str, qty: Decimal, unit: Decimal, currency: str, description: str = "") -> dict:
    return {"name": name[:200], "description": description, "qty": format(qty.normalize(), "f"),
            "unit_cost": {"amount": format(cents(unit), "f"), "code": currency}}


def invoice_lines_build(order: ShopOrder, *, rate: Decimal | None = None, currency: str = "") -> InvoiceLines:
    """The invoice lines of ``order``; with ``rate`` every amount is converted (into ``currency``)."""
    factor = rate if rate is not None else Decimal("1")
    code = currency or order.currency
    built = InvoiceLines(currency=code)
    for line in order.lines:
        name, unit = line.name or line.sku, cents(line.unit_price * factor)
        built.lines.append(_line(name, line.quantity, unit, code, line.sku))
        rest = cents(line.total * factor) - cents(line.quantity * unit)
        if rest:  # the shop's unit price has more decimals than FreshBooks keeps: the cents go on their own line
            built.lines.append(_line(f"Rounding of {name} ({format(line.quantity.normalize(), 'f')} for "
                                     f"{format(cents(line.total * factor), 'f')})", Decimal("1"), rest, code,
                                     f"{MARK}rounding"))
    for charge in order.charges:
        name = f"Discount {charge.code}" if charge.kind == "discount" and charge.code else charge.title
        built.lines.append(_line(name, Decimal("1"), charge.amount * factor, code, f"{MARK}{charge.kind}"))
    if order.discount_codes:
        built.notes.append(f"Discount codes: {', '.join(order.discount_codes)}")
    if order.taxes_included and order.included_tax:
        built.notes.append(f"Prices include tax of {format(cents(order.included_tax * factor), 'f')} {code}.")
    summed = sum((cents(Decimal(line["qty"]) * Decimal(line["unit_cost"]["amount"])) for line in built.lines),
                 Decimal("0"))
    built.total = cents(order.total * factor)
    built.difference = built.total - summed
    if built.difference:
        built.lines.append(_line("Adjustment to the shop's order total", Decimal("1"), built.difference, code,
                                 f"{MARK}adjustment"))
    return built


def product_lines(lines: list[dict]) -> list[dict]:
    """The invoice lines that are products (what an Infor sales order holds)."""
    return [line for line in lines if not str(line.get("description") or "").startswith(MARK)]

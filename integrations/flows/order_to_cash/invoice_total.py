"""Which amounts of a shop order the invoice carries (currency, conversion), and the finding when
the invoice lines could not add up to the shop's total without an adjustment line."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.dateparse import parse_datetime

from integrations.connectors.shop.order import ShopOrder
from integrations.errors import FatalError
from integrations.flows.order_to_cash.invoice_lines import InvoiceLines, invoice_lines_build
from mappings.rates import RateNotFound, currency_rate_lookup
from monitoring.findings import Found, findings_sync

TOTAL_CHECK = "shop-order-invoice-total"


def _order_date(order: ShopOrder) -> date:
    try:
        parsed = parse_datetime(order.created_at or "")
    except ValueError:
        parsed = None
    if parsed is None:
        raise FatalError(f"Order {order.number} has no readable creation time ('{order.created_at[:40]}') to date "
                         "its currency conversion.", field="created_at")
    return parsed.date()


def order_conversion(order_payload: dict, *, currency_from: str = "paid",
                     convert_to: str = "") -> tuple[ShopOrder, Decimal, str]:
    """The order in the currency the flow invoices from (the one paid, or the shop's), the rate into the
    invoice currency (1, or the dated rate of ``convert_to`` on the order date) and that currency."""
    order = ShopOrder.from_payload(order_payload)
    if currency_from == "shop" and order.in_shop_currency:
        order = ShopOrder.from_payload(order.in_shop_currency)
    target = (convert_to or "").strip().upper()
    if not target or target == order.currency.upper():
        return order, Decimal("1"), order.currency
    try:
        rate = currency_rate_lookup(from_currency=order.currency.upper(), to_currency=target, on=_order_date(order))
    except RateNotFound as exc:
        raise FatalError(f"{exc} (order {order.number} is converted into {target} by the flow setting "
                         "convert_to_currency).") from None
    return order, rate, target


def order_invoice_lines(order_payload: dict, *, currency_from: str = "paid", convert_to: str = "") -> InvoiceLines:
    """The invoice lines in the currency the flow asks for: the one paid, the shop's, or converted."""
    order, rate, currency = order_conversion(order_payload, currency_from=currency_from, convert_to=convert_to)
    if currency == order.currency:
        return invoice_lines_build(order)
    return invoice_lines_build(order, rate=rate, currency=currency)


def order_total_finding(*, flow, order: dict, built: InvoiceLines, invoice_id: str) -> None:
    """A finding for finance when the lines needed an adjustment to reach the shop's total."""
    if not built.difference:
        return
    number = order.get("number") or order.get("id")
    findings_sync(check_name=TOTAL_CHECK, examined=None, found=[Found(
        subject=f"{flow.source_connection_id}:{order.get('id')}",
        title=f"Order {number}: its lines do not add up to the shop's total",
        explanation=(f"The shop's total is {built.total} {built.currency}, but its products, discounts, shipping, "
                     f"fees and taxes (unit prices rounded to the cent, as FreshBooks keeps them) come to "
                     f"{built.total - built.difference}. FreshBooks invoice {invoice_id} carries an adjustment line "
                     f"of {built.difference} so that it equals what the customer paid; check the order in the shop."),
        details={"order_id": order.get("id"), "invoice_id": invoice_id, "difference": str(built.difference),
                 "currency": built.currency},
        flow_id=flow.pk,
    )])

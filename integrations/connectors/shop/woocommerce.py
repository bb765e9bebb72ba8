"""WooCommerce order webhooks: headers, signature, the ping, and order parsing.

WooCommerce signs the raw body like Shopify (``X-WC-Webhook-Signature``, base64
HMAC-SHA256 with the webhook's secret) and names each delivery ``X-WC-Webhook-Delivery-ID``.
When a webhook is saved it sends an unsigned, form-encoded ``webhook_id=<id>`` ping that
must be answered 2xx or WooCommerce will not activate the webhook.
"""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs

from integrations.connectors.shop.order import (
    OrderInvalid,
    ShopCharge,
    ShopCustomer,
    ShopLine,
    ShopRefund,
    ShopOrder,
    json_loads_exact,
    flag,
    mapping,
    money,
    objects,
    required_id,
    text,
)

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"
TOPIC_HEADER = "X-WC-Webhook-Topic"
RESOURCE_HEADER = "X-WC-Webhook-Resource"
SOURCE_HEADER = "X-WC-Webhook-Source"


def woocommerce_ping_id(body: bytes, content_type: str) -> str | None:
    """The webhook id of a ping (``webhook_id=<digits>``, form-encoded), else None."""
    if "application/x-www-form-urlencoded" not in (content_type or "") or len(body) > 200:
        return None
    try:
        values = parse_qs(body.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    ids = values.get("webhook_id") or []
    return ids[0] if len(values) == 1 and len(ids) == 1 and ids[0].isdigit() else None


def _unit_price(item: dict, quantity: Decimal, where: str) -> Decimal:
    if item.get("price") not in (None, ""):
        return money(item, "price", where=where)
    if not quantity:
        raise OrderInvalid(f"The {where} has neither a price nor a quantity.")
    return money(item, "subtotal", where=where) / quantity


def _charges(data: dict) -> list[ShopCharge]:
    """Coupons, shipping, fees and taxes, as WooCommerce's REST order states them.

    WooCommerce's line, coupon, shipping and fee amounts are always before tax (also with
    ``prices_include_tax``), and ``total = Σ line subtotals − discount_total + shipping + fees +
    total_tax``; so every tax line (its ``tax_total`` plus ``shipping_tax_total``) is a charge.
    """
    charges = []
    for position, entry in enumerate(objects(data, "coupon_lines", item="coupon line"), start=1):
        where = f"coupon line {position}"
        code = text(entry, "code", where=where)
        charges.append(ShopCharge(kind="discount", title=code or "Coupon", amount=-money(entry, "discount", where=where),
                                  code=code))
    for position, entry in enumerate(objects(data, "shipping_lines", item="shipping line"), start=1):
        where = f"shipping line {position}"
        charges.append(ShopCharge(kind="shipping", title=text(entry, "method_title", where=where) or "Shipping",
                                  amount=money(entry, "total", where=where)))
    for position, entry in enumerate(objects(data, "fee_lines", item="fee line"), start=1):
        where = f"fee line {position}"
        charges.append(ShopCharge(kind="fee", title=text(entry, "name", where=where) or "Fee",
                                  amount=money(entry, "total", where=where)))
    tax_lines = objects(data, "tax_lines", item="tax line")
    for position, entry in enumerate(tax_lines, start=1):
        where = f"tax line {position}"
        title = text(entry, "label", where=where) or text(entry, "rate_code", where=where) or "Tax"
        rate = text(entry, "rate_percent", where=where)
        charges.append(ShopCharge(kind="tax", title=f"{title} {rate}%" if rate else title,
                                  amount=money(entry, "tax_total", where=where)
                                  + money(entry, "shipping_tax_total", where=where)))
    if not tax_lines and money(data, "total_tax"):
        charges.append(ShopCharge(kind="tax", title="Tax", amount=money(data, "total_tax")))
    if not objects(data, "shipping_lines") and money(data, "shipping_total"):
        charges.append(ShopCharge(kind="shipping", title="Shipping", amount=money(data, "shipping_total")))
    return charges


def woocommerce_order_parse(body: bytes) -> ShopOrder:
    data = json_loads_exact(body)
    billing = mapping(data, "billing")
    lines = []
    for position, item in enumerate(objects(data, "line_items"), start=1):
        where = f"line {position}"
        quantity = money(item, "quantity", where=where)
        after = money(item, "total", where=where)
        before = money(item, "subtotal", where=where) if item.get("subtotal") not in (None, "") else after
        unit = before / quantity if quantity and item.get("subtotal") not in (None, "") else \
            _unit_price(item, quantity, where)
        lines.append(ShopLine(id=required_id(item, where=where), sku=text(item, "sku", where=where),
                              name=text(item, "name", where=where), quantity=quantity, unit_price=unit,
                              total=before, discount=before - after))
    charges = _charges(data)
    return ShopOrder(
        source="woocommerce", id=required_id(data), number=text(data, "number") or text(data, "id"),
        currency=text(data, "currency"), created_at=text(data, "date_created_gmt") or text(data, "date_created"),
        modified_at=text(data, "date_modified_gmt") or text(data, "date_modified"), status=text(data, "status"),
        customer=ShopCustomer(
            id=text(data, "customer_id") if text(data, "customer_id") not in ("", "0") else "",
            email=text(billing, "email"), first_name=text(billing, "first_name"),
            last_name=text(billing, "last_name"), company=text(billing, "company"), phone=text(billing, "phone"),
            address_line1=text(billing, "address_1"), address_line2=text(billing, "address_2"),
            city=text(billing, "city"), postal_code=text(billing, "postcode"), country=text(billing, "country"),
        ),
        lines=lines, subtotal=sum((line.total for line in lines), Decimal("0")), tax=money(data, "total_tax"),
        shipping=money(data, "shipping_total"), total=money(data, "total"),
        charges=charges, discount_codes=[c.code for c in charges if c.code],
        discount_total=money(data, "discount_total"), taxes_included=flag(data, "prices_include_tax"),
        shop_currency=text(data, "currency"), refunds=_refunds(data),
        cancelled=text(data, "status") == "cancelled", cancelled_at=text(data, "date_modified_gmt")
        if text(data, "status") == "cancelled" else "", fulfilled=text(data, "status") == "completed",
    )


def _refunds(data: dict) -> list[ShopRefund]:
    """WooCommerce lists an order's refunds as ``{"id", "reason", "total": "-x.xx"}`` (negative)."""
    return [ShopRefund(id=required_id(entry, where=f"refund {n}"), created_at="",
                       amount=-money(entry, "total", where=f"refund {n}"), note=text(entry, "reason", where=f"refund {n}"))
            for n, entry in enumerate(objects(data, "refunds", item="refund"), start=1)]

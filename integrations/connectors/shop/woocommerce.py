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
    ShopCustomer,
    ShopLine,
    ShopOrder,
    json_loads_exact,
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


def woocommerce_order_parse(body: bytes) -> ShopOrder:
    data = json_loads_exact(body)
    billing = mapping(data, "billing")
    lines = []
    for position, item in enumerate(objects(data, "line_items"), start=1):
        where = f"line {position}"
        quantity = money(item, "quantity", where=where)
        lines.append(ShopLine(id=required_id(item, where=where), sku=text(item, "sku", where=where),
                              name=text(item, "name", where=where),
                              quantity=quantity, unit_price=_unit_price(item, quantity, where),
                              total=money(item, "total", where=where)))
    return ShopOrder(
        source="woocommerce", id=required_id(data), number=text(data, "number") or text(data, "id"),
        currency=text(data, "currency"), created_at=text(data, "date_created_gmt") or text(data, "date_created"),
        modified_at=text(data, "date_modified_gmt") or text(data, "date_modified"), status=text(data, "status"),
        customer=ShopCustomer(
            id=text(data, "customer_id"), email=text(billing, "email"), first_name=text(billing, "first_name"),
            last_name=text(billing, "last_name"), company=text(billing, "company"), phone=text(billing, "phone"),
            address_line1=text(billing, "address_1"), address_line2=text(billing, "address_2"),
            city=text(billing, "city"), postal_code=text(billing, "postcode"), country=text(billing, "country"),
        ),
        lines=lines, subtotal=sum((line.total for line in lines), Decimal("0")), tax=money(data, "total_tax"),
        shipping=money(data, "shipping_total"), total=money(data, "total"),
    )

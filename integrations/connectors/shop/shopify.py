"""Shopify order webhooks: headers, signature and order parsing.

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, body))``.
``X-Shopify-Webhook-Id`` identifies a delivery (the same on retries), and retries resend the
original payload, so ``X-Shopify-Triggered-At`` tells an old retry from a newer update.
"""
from __future__ import annotations

from integrations.connectors.shop.order import (
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

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TOPIC_HEADER = "X-Shopify-Topic"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"
# Names one event across every subscription it is delivered to (the dedupe key), and the API
# version the payload was rendered in (stored with the delivery).
EVENT_ID_HEADER = "X-Shopify-Event-Id"
API_VERSION_HEADER = "X-Shopify-API-Version"
ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled",
                "orders/partially_fulfilled", "orders/edited"}


def shopify_order_parse(body: bytes) -> ShopOrder:
    data = json_loads_exact(body)
    customer, billing = mapping(data, "customer"), mapping(data, "billing_address")
    lines = []
    for position, item in enumerate(objects(data, "line_items"), start=1):
        where = f"line {position}"
        quantity, price = money(item, "quantity", where=where), money(item, "price", where=where)
        lines.append(ShopLine(id=required_id(item, where=where), sku=text(item, "sku", where=where),
                              name=text(item, "name", where=where) or text(item, "title", where=where),
                              quantity=quantity, unit_price=price, total=quantity * price))
    shipping = mapping(mapping(data, "total_shipping_price_set"), "shop_money", where="total_shipping_price_set")
    return ShopOrder(
        source="shopify", id=required_id(data), number=text(data, "order_number") or text(data, "name"),
        currency=text(data, "currency"), created_at=text(data, "created_at"),
        modified_at=text(data, "updated_at") or text(data, "created_at"), status=text(data, "financial_status"),
        customer=ShopCustomer(
            id=text(customer, "id"), email=text(data, "email") or text(customer, "email"),
            first_name=text(billing, "first_name") or text(customer, "first_name"),
            last_name=text(billing, "last_name") or text(customer, "last_name"), company=text(billing, "company"),
            phone=text(billing, "phone") or text(customer, "phone"), address_line1=text(billing, "address1"),
            address_line2=text(billing, "address2"), city=text(billing, "city"), postal_code=text(billing, "zip"),
            country=text(billing, "country_code"),
        ),
        lines=lines, subtotal=money(data, "subtotal_price"), tax=money(data, "total_tax"),
        shipping=money(shipping, "amount", where="shipping"), total=money(data, "total_price"),
    )

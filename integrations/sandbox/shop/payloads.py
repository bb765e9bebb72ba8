"""Orders as each platform sends them in its webhooks (the shapes the receivers parse)."""
from __future__ import annotations

import json
from decimal import Decimal

from .models import ShopOrder

# Shopify ids are 64-bit; starting above 2**53 makes any float-based parsing visibly wrong.
SHOPIFY_ID_BASE = 5_400_000_000_000_000_000


def _lines(order: ShopOrder) -> list[tuple[dict, Decimal, Decimal]]:
    return [(line, Decimal(str(line["quantity"])), Decimal(str(line["price"]))) for line in order.lines]


def order_total(order: ShopOrder) -> Decimal:
    return sum((qty * price for _, qty, price in _lines(order)), Decimal("0.00"))


def shopify_body(order: ShopOrder) -> str:
    created, updated = order.created_at.isoformat(), order.updated_at.isoformat()
    total = format(order_total(order), "f")
    return json.dumps({
        "id": int(order.external_id), "name": f"#{order.number}", "order_number": int(order.number),
        "email": order.email, "currency": order.currency, "created_at": created, "updated_at": updated,
        "financial_status": "paid", "subtotal_price": total, "total_tax": "0.00", "total_price": total,
        "total_shipping_price_set": {"shop_money": {"amount": "0.00", "currency_code": order.currency}},
        "customer": {"id": SHOPIFY_ID_BASE + 900_000_000 + order.pk, "email": order.email, "first_name": order.first_name,
                     "last_name": order.last_name},
        "billing_address": {"first_name": order.first_name, "last_name": order.last_name, "company": order.company,
                            "country_code": order.country},
        "line_items": [{"id": SHOPIFY_ID_BASE + order.pk * 100 + n, "sku": line["sku"],
                        "title": line.get("name") or line["sku"], "quantity": int(qty), "price": format(price, "f")}
                       for n, (line, qty, price) in enumerate(_lines(order), start=1)],
    })


def woocommerce_body(order: ShopOrder) -> str:
    stamp = order.created_at.strftime("%Y-%m-%dT%H:%M:%S")
    modified = order.updated_at.strftime("%Y-%m-%dT%H:%M:%S")
    total = format(order_total(order), "f")
    # WooCommerce sends the line price as a JSON number; the body is built by hand to keep it exact.
    lines = ", ".join(
        '{"id": %d, "name": %s, "sku": %s, "quantity": %d, "subtotal": "%s", "total": "%s", "price": %s}'
        % (order.pk * 100 + n, json.dumps(line.get("name") or line["sku"]), json.dumps(line["sku"]), int(qty),
           format(qty * price, "f"), format(qty * price, "f"), format(price, "f"))
        for n, (line, qty, price) in enumerate(_lines(order), start=1))
    head = json.dumps({
        "id": int(order.external_id), "number": order.number, "status": "processing", "currency": order.currency,
        "date_created_gmt": stamp, "date_modified_gmt": modified, "total": total, "total_tax": "0.00",
        "shipping_total": "0.00", "customer_id": 0,
        "billing": {"first_name": order.first_name, "last_name": order.last_name, "company": order.company,
                    "email": order.email, "country": order.country},
    })
    return head[:-1] + f', "line_items": [{lines}]}}'


BODIES = {"shopify": shopify_body, "woocommerce": woocommerce_body}

"""Reading an eCommerce order for the Order-to-Cash chain.

Shopify and WooCommerce send the whole order in the webhook, and the catch-up poll stores each
order it reads from the shop's API the same way (connectors/shop/versions.py), so "reading the
source fresh" means the newest verified, non-stale delivery or read stored for that order. The source record is the platform's own JSON
(what the mapping sets are written against, numbers kept exact: big ids as int, money as
decimal text), plus ``_order``, the normalised ShopOrder (connectors/shop/order.py).
"""
from __future__ import annotations

import json

from integrations.errors import FatalError
from mappings.normalise import email_normalise
from integrations.models import InboundEvent

RECENT = 20  # deliveries of one order looked at (retries and updates)


def shop_order_read(*, connection_id: int, order_id: str) -> dict:
    events = InboundEvent.objects.filter(
        connection_id=connection_id, object_type="order", object_id=str(order_id), signature_valid=True,
    ).order_by("-received_at", "-pk")[:RECENT]
    for event in events:
        payload = event.payload or {}
        if payload.get("stale") or not payload.get("order") or not event.body:
            continue
        try:
            raw = json.loads(event.body, parse_float=str)  # ints stay exact; decimals stay text
        except ValueError:
            continue
        return {**raw, "_order": payload["order"]}
    raise FatalError(f"No usable delivery of order {order_id} is stored (only stale or unreadable ones); "
                     "resend the order's webhook from the shop, then replay.")


def shop_customer_key(source: dict) -> str:
    """Who ordered, for matching: the e-mail address (shops make a new customer id per guest order)."""
    key = email_normalise(((source.get("_order") or {}).get("customer") or {}).get("email"))
    if not key:
        number = (source.get("_order") or {}).get("number") or (source.get("_order") or {}).get("id")
        raise FatalError(f"Order {number} has no customer e-mail address, so its FreshBooks client cannot be "
                         "matched or created. Add the e-mail in the shop and resend the order.", field="email")
    return key

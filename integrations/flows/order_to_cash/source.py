"""Reading an eCommerce order for the Order-to-Cash chain.

Shopify and WooCommerce send the whole order in the webhook, and the catch-up poll stores each
order it reads from the shop's API the same way (connectors/shop/versions.py), so "reading the
source fresh" means the newest verified, non-stale delivery or read stored for that order. The source record is the platform's own JSON
(what the mapping sets are written against, numbers kept exact: big ids as int, money as
decimal text), plus ``_order``, the normalised ShopOrder (connectors/shop/order.py).
"""
from __future__ import annotations

import hashlib
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


def _folded(*parts) -> str:
    return " ".join(" ".join(str(p or "").split()).casefold() for p in parts)


def shop_customer_name_address(customer: dict) -> str:
    """Name and billing address folded for comparison ("" when either is missing)."""
    name = _folded(customer.get("first_name"), customer.get("last_name")).strip()
    street = _folded(customer.get("address_line1")).strip()
    if not name or not street:
        return ""
    return "|".join((name, street, _folded(customer.get("postal_code")).strip(),
                     _folded(customer.get("country")).strip()))


def shop_customer_name_address_hash(customer: dict) -> str:
    """A digest of name + billing address (kept on bindings: no personal data in clear), "" without them."""
    folded = shop_customer_name_address(customer)
    return hashlib.sha256(folded.encode()).hexdigest()[:40] if folded else ""


def shop_customer_key(source: dict) -> str:
    """Who ordered, for matching: the e-mail address (shops make a new customer id per guest order).

    Shopify withholds the e-mail without protected-customer-data access: then the shop's customer id
    (``customer:<id>``), and for a guest without one the name and billing address (``name:...``), so
    two orders of one customer without e-mail still meet one binding and one FreshBooks client.
    """
    order = source.get("_order") or {}
    customer = order.get("customer") or {}
    key = email_normalise(customer.get("email"))
    if key:
        return key
    if str(customer.get("id") or "").strip():
        return f"customer:{str(customer['id']).strip()}"
    if shop_customer_name_address(customer):
        return f"name:{shop_customer_name_address_hash(customer)}"
    number = order.get("number") or order.get("id")
    raise FatalError(f"Order {number} has no customer e-mail address, shop customer id, or name and billing "
                     "address, so its FreshBooks client cannot be matched or created. Add them in the shop and "
                     "resend the order.", field="email")

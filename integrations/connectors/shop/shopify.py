"""Shopify order webhooks: headers, signature and order parsing.

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, body))``.
``X-Shopify-Webhook-Id`` identifies a delivery (the same on retries), and retries resend the
original payload, so ``X-Shopify-Triggered-At`` tells an old retry from a newer update.
"""
from __future__ import annotations

from decimal import Decimal

from integrations.connectors.shop.order import (
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

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TOPIC_HEADER = "X-Shopify-Topic"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"
# Names one event across every subscription it is delivered to (the dedupe key), and the API
# version the payload was rendered in (stored with the delivery).
EVENT_ID_HEADER = "X-Shopify-Event-Id"
API_VERSION_HEADER = "X-Shopify-API-Version"
REFUND_TOPIC = "refunds/create"
ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled",
                "orders/partially_fulfilled", "orders/edited"}


def _amount(data: dict, key: str, side: str, *, where: str) -> Decimal:
    """``key`` in the chosen currency: ``<key>_set.<side>.amount`` when the set is there, else ``key``
    (which Shopify states in the shop currency)."""
    chosen = mapping(mapping(data, f"{key}_set", where=where), side, where=f"{where} {key}_set")
    if chosen:
        return money(chosen, "amount", where=f"{where} {key}")
    return money(data, key, where=where)


def _discount_title(application: dict, where: str) -> tuple[str, str]:
    code = text(application, "code", where=where) if text(application, "type", where=where) == "discount_code" else ""
    return code, code or text(application, "title", where=where) or text(application, "description", where=where)


def _discounts(data: dict, lines: list[dict], shipping: list[dict], side: str) -> list[ShopCharge]:
    """One discount charge per discount application, the sum of what it took off lines and shipping.

    Shopify spreads every discount (line or order level, code, automatic or manual) over the lines it
    applies to as ``discount_allocations`` pointing at ``discount_applications[index]``; summing the
    allocations gives amounts that add up exactly. Without allocations the codes' amounts are used.
    """
    applications = objects(data, "discount_applications", item="discount application")
    taken: dict[int, Decimal] = {}
    for owner, items in (("line", lines), ("shipping line", shipping)):
        for position, item in enumerate(items, start=1):
            for allocation in objects(item, "discount_allocations", where=f"{owner} {position}", item="allocation"):
                index = int(money(allocation, "discount_application_index", where=f"{owner} {position} allocation"))
                taken[index] = taken.get(index, Decimal("0")) + _amount(
                    allocation, "amount", side, where=f"{owner} {position} discount allocation")
    charges = []
    for index, amount in sorted(taken.items()):
        application = applications[index] if 0 <= index < len(applications) else {}
        code, title = _discount_title(application, f"discount application {index}")
        charges.append(ShopCharge(kind="discount", title=title or "Discount", amount=-amount, code=code))
    if not taken:
        for position, entry in enumerate(objects(data, "discount_codes", item="discount code"), start=1):
            where = f"discount code {position}"
            charges.append(ShopCharge(kind="discount", title=text(entry, "code", where=where) or "Discount",
                                      amount=-money(entry, "amount", where=where), code=text(entry, "code", where=where)))
    return charges


def _line_discount(item: dict, side: str, where: str) -> Decimal:
    return sum((_amount(a, "amount", side, where=f"{where} discount allocation")
                for a in objects(item, "discount_allocations", where=where, item="allocation")), Decimal("0"))


def _parse(data: dict, side: str) -> ShopOrder:
    customer, billing = mapping(data, "customer"), mapping(data, "billing_address")
    items = objects(data, "line_items")
    lines = []
    for position, item in enumerate(items, start=1):
        where = f"line {position}"
        quantity, price = money(item, "quantity", where=where), _amount(item, "price", side, where=where)
        lines.append(ShopLine(id=required_id(item, where=where), sku=text(item, "sku", where=where),
                              name=text(item, "name", where=where) or text(item, "title", where=where),
                              quantity=quantity, unit_price=price, total=quantity * price,
                              discount=_line_discount(item, side, where)))
    shipping_lines = objects(data, "shipping_lines", item="shipping line")
    charges = _discounts(data, items, shipping_lines, side)
    shipping_total = Decimal("0")
    for position, entry in enumerate(shipping_lines, start=1):
        amount = _amount(entry, "price", side, where=f"shipping line {position}")
        shipping_total += amount
        charges.append(ShopCharge(kind="shipping", title=text(entry, "title", where=f"shipping line {position}")
                                  or "Shipping", amount=amount))
    if not shipping_lines:
        shipping_total = _amount(data, "total_shipping_price", side, where="order")
        if shipping_total:
            charges.append(ShopCharge(kind="shipping", title="Shipping", amount=shipping_total))
    taxes_included, tax = flag(data, "taxes_included"), _amount(data, "total_tax", side, where="order")
    if not taxes_included:
        tax_lines = objects(data, "tax_lines", item="tax line")
        for position, entry in enumerate(tax_lines, start=1):
            where = f"tax line {position}"
            rate = text(entry, "rate", where=where)
            title = text(entry, "title", where=where) or "Tax"
            shown = f"{title} {format((Decimal(rate) * 100).normalize(), 'f')}%" if rate and rate.replace(".", "", 1).isdigit() else title
            charges.append(ShopCharge(kind="tax", title=shown, amount=_amount(entry, "price", side, where=where)))
        if not tax_lines and tax:
            charges.append(ShopCharge(kind="tax", title="Tax", amount=tax))
    return ShopOrder(
        source="shopify", id=required_id(data), number=text(data, "order_number") or text(data, "name"),
        currency=text(data, "presentment_currency") if side == PRESENTMENT else text(data, "currency"),
        created_at=text(data, "created_at"),
        modified_at=text(data, "updated_at") or text(data, "created_at"), status=text(data, "financial_status"),
        customer=ShopCustomer(
            id=text(customer, "id"), email=text(data, "email") or text(customer, "email"),
            first_name=text(billing, "first_name") or text(customer, "first_name"),
            last_name=text(billing, "last_name") or text(customer, "last_name"), company=text(billing, "company"),
            phone=text(billing, "phone") or text(customer, "phone"), address_line1=text(billing, "address1"),
            address_line2=text(billing, "address2"), city=text(billing, "city"), postal_code=text(billing, "zip"),
            country=text(billing, "country_code"),
        ),
        lines=lines, subtotal=_amount(data, "subtotal_price", side, where="order"), tax=tax,
        shipping=shipping_total, total=_amount(data, "total_price", side, where="order"),
        charges=charges, discount_codes=[c.code for c in charges if c.code],
        discount_total=_amount(data, "total_discounts", side, where="order"),
        taxes_included=taxes_included, included_tax=tax if taxes_included else Decimal("0"),
        shop_currency=text(data, "currency"), refunds=_refunds(data, side, taxes_included),
        cancelled=bool(text(data, "cancelled_at")), cancelled_at=text(data, "cancelled_at"),
        cancel_reason=text(data, "cancel_reason"),
        fulfilled=text(data, "fulfillment_status") in ("fulfilled", "partial"),
    )


PRESENTMENT, SHOP = "presentment_money", "shop_money"


def _refunds(data: dict, side: str, taxes_included: bool) -> list[ShopRefund]:
    """Each refund's amount from its lines (subtotal, plus tax the prices exclude) and its order adjustments
    (a shipping refund is a negative adjustment); from its successful refund transactions when it has neither."""
    refunds = []
    for position, refund in enumerate(objects(data, "refunds", item="refund"), start=1):
        where = f"refund {position}"
        lines, amount = [], Decimal("0")
        for number, entry in enumerate(objects(refund, "refund_line_items", where=where, item="line"), start=1):
            at = f"{where} line {number}"
            value = _amount(entry, "subtotal", side, where=at)
            if not taxes_included:
                value += _amount(entry, "total_tax", side, where=at)
            amount += value
            lines.append({"line_id": text(entry, "line_item_id", where=at),
                          "quantity": text(entry, "quantity", where=at), "amount": format(value, "f")})
        for number, entry in enumerate(objects(refund, "order_adjustments", where=where, item="adjustment"), start=1):
            at = f"{where} adjustment {number}"
            amount -= _amount(entry, "amount", side, where=at)
            if not taxes_included:
                amount -= _amount(entry, "tax_amount", side, where=at)
        if not lines and not objects(refund, "order_adjustments", where=where):
            amount = sum((money(t, "amount", where=f"{where} transaction")
                          for t in objects(refund, "transactions", where=where, item="transaction")
                          if text(t, "kind") == "refund" and text(t, "status") == "success"), Decimal("0"))
        refunds.append(ShopRefund(id=required_id(refund, where=where), created_at=text(refund, "created_at", where=where),
                                  amount=amount, note=text(refund, "note", where=where), lines=lines))
    return refunds


def shopify_refund_parse(body: bytes) -> dict:
    """A ``refunds/create`` body: the refund's id and its order's id (both checked), kept as sent."""
    data = json_loads_exact(body)
    return {"id": required_id(data, where="refund"), "order_id": required_id(data, "order_id", where="refund"),
            "created_at": text(data, "created_at", where="refund")}


def shopify_order_parse(body: bytes) -> ShopOrder:
    """The order in the currency the customer paid (``presentment_currency``); when that is not the shop's
    currency, ``in_shop_currency`` holds the same order read from the ``shop_money`` amounts."""
    data = json_loads_exact(body)
    presentment, shop = text(data, "presentment_currency"), text(data, "currency")
    if not presentment or presentment == shop:
        return _parse(data, SHOP)
    order = _parse(data, PRESENTMENT)
    order.in_shop_currency = _parse(data, SHOP).to_payload()
    return order

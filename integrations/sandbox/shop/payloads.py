"""Orders as each platform sends them in its webhooks (the shapes the receivers parse).

Shopify: every amount also as ``<field>_set`` with ``shop_money`` and ``presentment_money``;
discounts as ``discount_applications`` with per-line ``discount_allocations`` and
``discount_codes``; ``shipping_lines``, line and order ``tax_lines``, ``taxes_included``;
``refunds`` with ``refund_line_items`` and ``transactions``; ``cancelled_at``/``cancel_reason``.
WooCommerce: line ``subtotal`` (before coupons) and ``total`` (after), all before tax (also with
``prices_include_tax``); ``coupon_lines``, ``shipping_lines``, ``tax_lines``; ``refunds`` as
``{"id", "reason", "total": "-x.xx"}``; status ``cancelled`` / ``refunded``.
"""
from __future__ import annotations

import json
from decimal import Decimal

from .models import ShopOrder
from .pricing import ZERO, Priced, cents, dec, order_priced, refund_priced

# Shopify ids are 64-bit; starting above 2**53 makes any float-based parsing visibly wrong.
SHOPIFY_ID_BASE = 5_400_000_000_000_000_000


def _f(amount: Decimal) -> str:
    return format(cents(amount), "f")


def _lines(order: ShopOrder) -> list[tuple[dict, Decimal, Decimal]]:
    return [(line, Decimal(str(line["quantity"])), Decimal(str(line["price"]))) for line in order.lines]


def shop_priced(order: ShopOrder) -> Priced:
    return order_priced(order.lines, order.options or {})


def presentment_priced(order: ShopOrder) -> Priced:
    options = order.options or {}
    if not options.get("presentment_currency"):
        return shop_priced(order)
    return order_priced(order.lines, options, convert=dec(options.get("presentment_rate"), "1"))


def order_total(order: ShopOrder) -> Decimal:
    """What the customer pays, in the currency they pay in."""
    return presentment_priced(order).total


def refunded_total(order: ShopOrder) -> Decimal:
    priced = presentment_priced(order)
    return sum((refund_priced(priced, refund).amount(priced.included) for refund in order.refunds or []), ZERO)


class _Shopify:
    """Builds one Shopify order body; ``shop``/``pres`` are the order priced in each currency."""

    def __init__(self, order: ShopOrder):
        self.order, self.options = order, order.options or {}
        self.shop, self.pres = shop_priced(order), presentment_priced(order)
        self.shop_currency = order.currency
        self.pres_currency = self.options.get("presentment_currency") or order.currency

    def money_set(self, shop: Decimal, pres: Decimal) -> dict:
        return {"shop_money": {"amount": _f(shop), "currency_code": self.shop_currency},
                "presentment_money": {"amount": _f(pres), "currency_code": self.pres_currency}}

    def field(self, name: str, shop: Decimal, pres: Decimal) -> dict:
        return {name: _f(shop), f"{name}_set": self.money_set(shop, pres)}

    def applications(self) -> tuple[list[dict], int | None, int | None]:
        apps, code_index, line_index = [], None, None
        # either currency: rounding can leave a cent of discount in one and none in the other
        if self.shop.order_discounts or self.pres.order_discounts:
            code = self.options.get("discount_code") or ""
            code_index = len(apps)
            apps.append({"type": "discount_code" if code else "manual", "code": code or None,
                         "title": code or "Order discount", "description": code or "Order discount",
                         "value": _f(dec(self.options.get("order_discount"))), "value_type": "fixed_amount",
                         "allocation_method": "across", "target_selection": "all", "target_type": "line_item"})
        if self.shop.line_discounts or self.pres.line_discounts:
            line_index = len(apps)
            apps.append({"type": "manual", "title": "Line discount", "description": "Line discount",
                         "value": "0.00", "value_type": "fixed_amount", "allocation_method": "one",
                         "target_selection": "explicit", "target_type": "line_item"})
        return apps, code_index, line_index

    def tax_lines(self, shop: Decimal, pres: Decimal) -> list[dict]:
        if not self.shop.rate:
            return []
        return [{"title": "Tax", "rate": format(self.shop.rate.normalize(), "f"), **self.field("price", shop, pres)}]

    def line_item(self, n: int, line: dict, code_index, line_index) -> dict:
        shop, pres = self.shop.lines[n], self.pres.lines[n]
        allocations = []
        for index, s, p in ((line_index, shop.line_discount, pres.line_discount),
                            (code_index, shop.order_discount, pres.order_discount)):
            if index is not None and (s or p):
                allocations.append({**self.field("amount", s, p), "discount_application_index": index})
        return {"id": SHOPIFY_ID_BASE + self.order.pk * 100 + n + 1, "sku": line["sku"],
                "title": line.get("name") or line["sku"], "name": line.get("name") or line["sku"],
                "quantity": int(shop.quantity), **self.field("price", shop.price, pres.price),
                **self.field("total_discount", shop.line_discount + shop.order_discount,
                             pres.line_discount + pres.order_discount),
                "discount_allocations": allocations, "tax_lines": self.tax_lines(shop.tax, pres.tax),
                "taxable": bool(self.shop.rate)}

    def refund(self, position: int, refund: dict) -> dict:
        shop, pres = refund_priced(self.shop, refund), refund_priced(self.pres, refund)
        refund_id = SHOPIFY_ID_BASE + 500_000_000 + self.order.pk * 100 + position
        items = [{"id": refund_id * 10 + k, "line_item_id": SHOPIFY_ID_BASE + self.order.pk * 100 + index + 1,
                  "quantity": int(qty), **self.field("subtotal", s, p[2]), **self.field("total_tax", t, p[3])}
                 for k, ((index, qty, s, t), p) in enumerate(zip(shop.lines, pres.lines), start=1)]
        adjustments = [{"id": refund_id * 10, "kind": "shipping_refund", "reason": "Shipping refund",
                        **self.field("amount", -shop.shipping, -pres.shipping),
                        **self.field("tax_amount", -shop.shipping_tax, -pres.shipping_tax)}] if shop.shipping else []
        return {
            "id": refund_id, "order_id": int(self.order.external_id), "created_at": refund["created_at"],
            "note": refund.get("note") or "", "restock": False, "refund_line_items": items,
            "order_adjustments": adjustments,
            "transactions": [{"id": refund_id + 1, "order_id": int(self.order.external_id), "kind": "refund",
                              "gateway": "manual", "status": "success", "currency": self.pres_currency,
                              "amount": _f(pres.amount(self.pres.included))}],
        }

    def financial_status(self) -> str:
        if not self.order.refunds:
            return "voided" if self.order.cancelled_at else "paid"
        return "refunded" if refunded_total(self.order) >= self.pres.total else "partially_refunded"

    def body(self) -> dict:
        order, shop, pres = self.order, self.shop, self.pres
        apps, code_index, line_index = self.applications()
        code = self.options.get("discount_code") or ""
        email = order.email or None
        shipping = ([{"id": SHOPIFY_ID_BASE + order.pk * 100 + 99, "title": self.options.get("shipping_title")
                      or "Standard", "code": "standard", **self.field("price", shop.shipping, pres.shipping),
                      "discount_allocations": [],
                      "tax_lines": self.tax_lines(shop.shipping_tax, pres.shipping_tax)}] if shop.shipping else [])
        address = {"first_name": order.first_name, "last_name": order.last_name, "company": order.company,
                   "address1": self.options.get("address1") or "", "city": self.options.get("city") or "",
                   "zip": self.options.get("zip") or "", "country_code": order.country}
        return {
            "id": int(order.external_id), "name": f"#{order.number}", "order_number": int(order.number),
            "email": email, "contact_email": email, "currency": self.shop_currency,
            "presentment_currency": self.pres_currency, "created_at": order.created_at.isoformat(),
            "updated_at": order.updated_at.isoformat(), "financial_status": self.financial_status(),
            "fulfillment_status": "fulfilled" if order.fulfilled_at else None,
            "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
            "cancel_reason": order.cancel_reason or None, "taxes_included": shop.included,
            **self.field("subtotal_price", shop.subtotal, pres.subtotal),
            **self.field("total_discounts", shop.line_discounts + shop.order_discounts,
                         pres.line_discounts + pres.order_discounts),
            **self.field("total_tax", shop.tax, pres.tax), **self.field("total_price", shop.total, pres.total),
            "total_shipping_price_set": self.money_set(shop.shipping, pres.shipping),
            "discount_codes": [{"code": code, "amount": _f(shop.order_discounts), "type": "fixed_amount"}]
            if code and shop.order_discounts else [],
            "discount_applications": apps, "shipping_lines": shipping,
            "tax_lines": self.tax_lines(shop.tax, pres.tax),
            "customer": {"id": SHOPIFY_ID_BASE + 900_000_000 + _customer_number(order), "email": email,
                         "first_name": order.first_name, "last_name": order.last_name},
            "billing_address": address,
            "line_items": [self.line_item(n, line, code_index, line_index) for n, line in enumerate(order.lines)],
            "refunds": [self.refund(n, refund) for n, refund in enumerate(order.refunds or [], start=1)],
        }


def _customer_number(order: ShopOrder) -> int:
    """One shop customer per e-mail (or name, when the e-mail is withheld): the first order's pk."""
    if order._state.adding:  # an order not saved (a body built for a test) is its own customer
        return order.pk or 0
    same = ShopOrder.objects.filter(platform=order.platform, first_name=order.first_name, last_name=order.last_name,
                                    email=order.email).order_by("pk").values_list("pk", flat=True).first()
    return same or order.pk


def shopify_body(order: ShopOrder) -> str:
    return json.dumps(_Shopify(order).body())


def shopify_refund_body(order: ShopOrder, position: int) -> str:
    """The ``refunds/create`` body: the refund alone, with its ``order_id``."""
    return json.dumps(_Shopify(order).refund(position, order.refunds[position - 1]))


def _woo_split(priced: Priced):
    """Per line (subtotal, subtotal_tax, total, total_tax) before tax, and shipping (total, tax), as Woo keeps them."""
    rows = []
    for line in priced.lines:
        if priced.included:
            subtotal = cents(line.gross / (1 + priced.rate))
            total = cents(line.net / (1 + priced.rate))
            rows.append((subtotal, line.gross - subtotal, total, line.net - total))
        else:
            rows.append((line.gross, cents(line.gross * priced.rate), line.net, line.tax))
    if priced.included:
        shipping = (priced.shipping - priced.shipping_tax, priced.shipping_tax)
    else:
        shipping = (priced.shipping, priced.shipping_tax)
    return rows, shipping


def _price(value: Decimal) -> str:
    """Woo's line ``price`` (total / quantity) as a JSON number: to the cent when it is, else every decimal."""
    return _f(value) if value == cents(value) else format(value.normalize(), "f")


def woocommerce_body(order: ShopOrder) -> str:
    options = order.options or {}
    priced = shop_priced(order)
    rows, (ship_total, ship_tax) = _woo_split(priced)
    stamp, modified = order.created_at.strftime("%Y-%m-%dT%H:%M:%S"), order.updated_at.strftime("%Y-%m-%dT%H:%M:%S")
    tax_total = sum((row[3] for row in rows), ZERO)
    discount = sum((row[0] - row[2] for row in rows), ZERO)
    line_part = cents(priced.line_discounts / (1 + priced.rate)) if priced.included else priced.line_discounts
    coupons = []
    if discount:
        code = options.get("discount_code") or "discount"
        for position, (name, amount) in enumerate(((code, discount - line_part), ("line-discount", line_part)), 1):
            if amount:
                coupons.append({"id": order.pk * 10 + position, "code": name, "discount": _f(amount),
                                "discount_tax": "0.00"})
    refunds = [{"id": order.pk * 100 + n, "reason": refund.get("note") or "",
                "total": _f(-refund_priced(priced, refund).amount(priced.included))}
               for n, refund in enumerate(order.refunds or [], start=1)]
    status = ("cancelled" if order.cancelled_at else
              "refunded" if order.refunds and refunded_total(order) >= priced.total else
              "completed" if order.fulfilled_at else "processing")
    total = sum((row[2] for row in rows), ZERO) + ship_total + tax_total + ship_tax
    # WooCommerce sends the line price as a JSON number; the body is built by hand to keep it exact.
    lines = ", ".join(
        '{"id": %d, "name": %s, "sku": %s, "quantity": %d, "subtotal": "%s", "subtotal_tax": "%s", '
        '"total": "%s", "total_tax": "%s", "price": %s}'
        % (order.pk * 100 + n, json.dumps(line.get("name") or line["sku"]), json.dumps(line["sku"]),
           int(Decimal(str(line["quantity"]))), _f(row[0]), _f(row[1]), _f(row[2]), _f(row[3]),
           _price(row[2] / Decimal(str(line["quantity"]))))
        for n, (line, row) in enumerate(zip(order.lines, rows), start=1))
    head = json.dumps({
        "id": int(order.external_id), "number": order.number, "status": status, "currency": order.currency,
        "date_created_gmt": stamp, "date_modified_gmt": modified, "prices_include_tax": priced.included,
        "discount_total": _f(discount), "discount_tax": "0.00", "shipping_total": _f(ship_total),
        "shipping_tax": _f(ship_tax), "cart_tax": _f(tax_total), "total_tax": _f(tax_total + ship_tax),
        "total": _f(total), "customer_id": 0,  # a guest checkout
        "billing": {"first_name": order.first_name, "last_name": order.last_name, "company": order.company,
                    "email": order.email, "address_1": options.get("address1") or "",
                    "city": options.get("city") or "", "postcode": options.get("zip") or "",
                    "country": order.country},
        "coupon_lines": coupons,
        "shipping_lines": [{"id": order.pk * 10 + 9, "method_title": options.get("shipping_title") or "Flat rate",
                            "method_id": "flat_rate", "total": _f(ship_total), "total_tax": _f(ship_tax)}]
        if priced.shipping else [],
        "tax_lines": [{"id": 1, "rate_code": "TAX-1", "rate_id": 1, "label": "Tax", "compound": False,
                       "tax_total": _f(tax_total), "shipping_tax_total": _f(ship_tax),
                       "rate_percent": float(priced.rate * 100)}] if priced.rate else [],
        "refunds": refunds,
    })
    return head[:-1] + f', "line_items": [{lines}]}}'


BODIES = {"shopify": shopify_body, "woocommerce": woocommerce_body}

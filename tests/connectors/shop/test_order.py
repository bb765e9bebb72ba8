"""Order parsing and signatures shared by the Shopify and WooCommerce receivers."""
import json
from decimal import Decimal

import pytest

from integrations.connectors.shop.order import OrderInvalid, ShopOrder, signature_base64, signature_matches
from integrations.connectors.shop.shopify import shopify_order_parse
from integrations.connectors.shop.woocommerce import woocommerce_order_parse, woocommerce_ping_id


def test_payload_round_trip_keeps_decimals_exact():
    order = shopify_order_parse(json.dumps({"id": 2**63 - 1, "total_price": "0.30", "currency": "EUR",
                                            "line_items": [{"id": 1, "quantity": 3, "price": "0.10"}]}).encode())
    payload = order.to_payload()
    assert payload["id"] == "9223372036854775807" and payload["total"] == "0.30"
    back = ShopOrder.from_payload(json.loads(json.dumps(payload)))
    assert back.total == Decimal("0.30") and back.lines[0].total == Decimal("0.30") == sum([back.lines[0].total])


def test_woocommerce_number_prices_are_exact_and_missing_price_uses_the_subtotal():
    body = b'{"id": 5, "total": "0.3", "line_items": [{"id": 1, "quantity": 3, "price": 0.1, "total": "0.3"},' \
           b' {"id": 2, "quantity": 4, "subtotal": "10.00", "total": "10.00"}]}'
    order = woocommerce_order_parse(body)
    assert order.lines[0].unit_price == Decimal("0.1") and order.lines[1].unit_price == Decimal("2.5")
    with pytest.raises(OrderInvalid, match="line 1 has neither a price nor a quantity"):
        woocommerce_order_parse(b'{"id": 5, "line_items": [{"id": 1, "quantity": 0, "total": "1"}]}')


@pytest.mark.parametrize("body, content_type, expected", [
    (b"webhook_id=12", "application/x-www-form-urlencoded", "12"),
    (b"webhook_id=12", "application/json", None),
    (b"webhook_id=abc", "application/x-www-form-urlencoded", None),
    (b"webhook_id=1&webhook_id=2", "application/x-www-form-urlencoded", None),
])
def test_woocommerce_ping_detection(body, content_type, expected):
    assert woocommerce_ping_id(body, content_type) == expected


def test_signature_matches_only_with_a_secret_and_the_exact_body():
    body = b'{"id": 1}'
    good = signature_base64("k", body)
    assert signature_matches(body, good, ["", "k"])
    assert not signature_matches(body + b" ", good, ["k"])
    assert not signature_matches(body, good, ["", None])
    assert not signature_matches(body, "", ["k"])


@pytest.mark.parametrize("change, message", [
    ({"taxes_included": "yes"}, "taxes_included must be true or false"),
    ({"line_items": [{"id": 1, "quantity": 1, "price": "5", "discount_allocations": [{"amount": "x",
                                                                                       "discount_application_index": 0}]}]},
     "line 1 discount allocation's amount 'x' is not an amount"),
    ({"shipping_lines": ["Express"]}, "shipping line 1 must be a JSON object"),
    ({"refunds": [{"id": 1, "refund_line_items": [{"line_item_id": 1, "subtotal": "1", "total_tax": []}]}]},
     "total_tax '\\[\\]' is not an amount"),
])
def test_shopify_discounts_shipping_taxes_and_refunds_that_cannot_be_read_are_refused_with_a_sentence(change, message):
    body = {"id": 7, "total_price": "5.00", "line_items": [{"id": 1, "quantity": 1, "price": "5.00"}], **change}
    with pytest.raises(OrderInvalid, match=message):
        shopify_order_parse(json.dumps(body).encode())


def test_a_shopify_order_without_email_keeps_its_customer_id_and_its_refunds_and_cancellation():
    order = shopify_order_parse(json.dumps({
        "id": 7, "email": None, "customer": {"id": 2**60}, "total_price": "20.00", "taxes_included": True,
        "cancelled_at": "2026-12-01T10:00:00Z", "cancel_reason": "customer", "fulfillment_status": None,
        "line_items": [{"id": 1, "quantity": 2, "price": "10.00"}],
        "refunds": [{"id": 9, "refund_line_items": [{"line_item_id": 1, "quantity": 1, "subtotal": "10.00",
                                                     "total_tax": "1.67"}],
                     "order_adjustments": [], "transactions": [{"kind": "refund", "amount": "10.00"}]}],
    }).encode())
    assert order.customer.email == "" and order.customer.id == str(2**60)
    assert order.cancelled and not order.fulfilled and order.cancel_reason == "customer"
    assert [(r.id, r.amount) for r in order.refunds] == [("9", Decimal("10.00"))]  # the tax is in the price


def test_two_changes_in_one_second_are_two_versions_and_a_repeat_is_one():
    """WooCommerce stamps date_modified_gmt in whole seconds: a second refund made in the same second
    as the first must not look like a repeat of it (it would be stored and never synced)."""
    from integrations.connectors.shop.versions import order_version

    def woo(refunds):
        return woocommerce_order_parse(json.dumps({
            "id": 7, "total": "50.00", "status": "processing", "date_modified_gmt": "2026-12-07T05:00:00",
            "line_items": [{"id": 1, "quantity": 1, "price": 50, "total": "50.00"}],
            "refunds": [{"id": n, "total": f"-{amount}"} for n, amount in refunds]}).encode())

    first, second = woo([(1, "10.00")]), woo([(1, "10.00"), (2, "5.00")])
    assert order_version(first) != order_version(second)
    assert order_version(first) == order_version(woo([(1, "10.00")]))  # a delivery and a read of one version

"""Shopify receiver: signature, dedupe, staleness, exact ids and money."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.connectors.shop.order import ShopOrder, signature_base64
from integrations.models import InboundEvent, SyncItem
from integrations.sync.routing import inbound_events_route_pending
from integrations.triggers.webhooks.rejections import webhook_rejections
from tests.factories import FlowFactory
from tests.webhooks.conftest import SECRET

pytestmark = pytest.mark.django_db
BIG_ID = 5412872536091234567  # above 2**53: a double would change it


def order_body(order_id=BIG_ID, **extra):
    return json.dumps({
        "id": order_id, "name": "#1042", "order_number": 1042, "email": "jane@example.com", "currency": "EUR",
        "created_at": "2026-03-01T10:00:00+01:00", "updated_at": "2026-03-01T10:00:00+01:00",
        "financial_status": "paid", "subtotal_price": "36.85", "total_tax": "7.00", "total_price": "51.80",
        "total_shipping_price_set": {"shop_money": {"amount": "7.95", "currency_code": "EUR"}},
        "customer": {"id": 7012345678901234567, "email": "jane@example.com", "first_name": "Jane", "last_name": "Doe"},
        "billing_address": {"first_name": "Jane", "last_name": "Doe", "address1": "1 Canal St", "city": "Amsterdam",
                            "zip": "1011", "country_code": "NL"},
        "line_items": [{"id": 13012345678901234567, "sku": "WIDGET-S", "title": "Widget", "quantity": 2,
                        "price": "12.45"},
                       {"id": 13012345678901234568, "sku": "SHIPPING", "title": "Gift wrap", "quantity": 1,
                        "price": "11.95"}],
        **extra,
    }).encode()


def post(client, connection, body, *, secret=SECRET, webhook_id="wh-1", topic="orders/create", triggered=None,
         signature=None):
    headers = {"HTTP_X_SHOPIFY_TOPIC": topic, "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
               "HTTP_X_SHOPIFY_HMAC_SHA256": signature or signature_base64(secret, body),
               "HTTP_X_SHOPIFY_SHOP_DOMAIN": "demo.myshopify.com",
               "HTTP_X_SHOPIFY_TRIGGERED_AT": (triggered or timezone.now()).isoformat()}
    if webhook_id is None:
        del headers["HTTP_X_SHOPIFY_WEBHOOK_ID"]
    return client.post(f"/api/webhooks/shopify/{connection.pk}/", body, content_type="application/json", **headers)


def test_a_signed_order_is_stored_with_exact_ids_and_money_and_routed(client, shop_connection):
    connection = shop_connection("shopify")
    flow = FlowFactory(source_connection=connection, source_object="order")
    response = post(client, connection, order_body())
    assert response.status_code == 200 and response.json() == {"received": 1, "new": 1}
    event = InboundEvent.objects.get()
    assert event.object_id == str(BIG_ID) and event.dedupe_key == "shopify:wh-1" and event.signature_valid
    order = ShopOrder.from_payload(event.payload["order"])
    assert order.id == "5412872536091234567" and order.customer.id == "7012345678901234567"
    assert order.lines[0].id == "13012345678901234567"
    assert order.total == Decimal("51.80") and order.lines[0].total == Decimal("24.90")
    assert order.lines[0].unit_price == Decimal("12.45") and order.shipping == Decimal("7.95")
    assert (order.customer.email, order.customer.country, order.number) == ("jane@example.com", "NL", "1042")
    assert event.status == "received"  # routed by a worker, after the 200
    assert inbound_events_route_pending(connection_id=connection.pk) == 1
    item = SyncItem.objects.get(flow=flow)
    assert item.source_id == str(BIG_ID) and item.inbound_event_id == event.pk


@pytest.mark.parametrize("case", ["tampered", "wrong_secret", "missing"])
def test_bad_signatures_are_refused_and_nothing_is_stored(client, shop_connection, case):
    connection = shop_connection("shopify")
    body = order_body()
    if case == "tampered":
        response = post(client, connection, body.replace(b"51.80", b"5.18"), signature=signature_base64(SECRET, body))
    elif case == "wrong_secret":
        response = post(client, connection, body, secret="not-the-secret")
    else:
        response = client.post(f"/api/webhooks/shopify/{connection.pk}/", body, content_type="application/json",
                               HTTP_X_SHOPIFY_WEBHOOK_ID="wh-1")
    assert response.status_code == 401 and "error" in response.json()
    assert not InboundEvent.objects.exists()
    assert webhook_rejections(connection_id=connection.pk) == {"signature": 1}


def test_the_previous_secret_still_works_while_rotating(client, shop_connection):
    connection = shop_connection("shopify")
    connection.set_secrets(webhook_secret="the-new-one", webhook_secret_previous=SECRET)
    connection.save()
    assert post(client, connection, order_body()).status_code == 200


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"name": "#1"}', "has no id"),
    (b'{"id": 1, "total_price": "lots"}', "total_price 'lots' is not an amount"),
    (b'{"id": 1, "line_items": [{"id": 2, "quantity": 1, "price": "x"}]}', "line 1's price"),
])
def test_malformed_orders_get_a_clear_400(client, shop_connection, body, message):
    response = post(client, shop_connection("shopify"), body)
    assert response.status_code == 400 and message in response.json()["error"]
    assert not InboundEvent.objects.exists()


def test_missing_webhook_id_and_bad_timestamp_are_400(client, shop_connection):
    connection = shop_connection("shopify")
    assert post(client, connection, order_body(), webhook_id=None).status_code == 400
    body = order_body()
    response = client.post(f"/api/webhooks/shopify/{connection.pk}/", body, content_type="application/json",
                           HTTP_X_SHOPIFY_WEBHOOK_ID="w", HTTP_X_SHOPIFY_HMAC_SHA256=signature_base64(SECRET, body),
                           HTTP_X_SHOPIFY_TRIGGERED_AT="yesterday")
    assert response.status_code == 400 and "not a timestamp" in response.json()["error"]


def test_oversized_bodies_are_413(client, shop_connection, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    assert post(client, shop_connection("shopify"), order_body()).status_code == 413
    assert not InboundEvent.objects.exists()


def test_a_redelivery_is_absorbed(client, shop_connection):
    connection = shop_connection("shopify")
    flow = FlowFactory(source_connection=connection, source_object="order")
    post(client, connection, order_body())
    again = post(client, connection, order_body())
    assert again.status_code == 200 and again.json()["new"] == 0
    inbound_events_route_pending(connection_id=connection.pk)
    assert InboundEvent.objects.get().duplicate_count == 1 and SyncItem.objects.filter(flow=flow).count() == 1


def test_stale_events_are_stored_but_not_routed(client, shop_connection):
    connection = shop_connection("shopify")
    flow = FlowFactory(source_connection=connection, source_object="order")
    now = timezone.now()
    post(client, connection, order_body(), webhook_id="newer", topic="orders/updated", triggered=now)
    late_retry = post(client, connection, order_body(), webhook_id="older", topic="orders/updated",
                      triggered=now - timedelta(minutes=5))
    ancient = post(client, connection, order_body(order_id=99), webhook_id="ancient", triggered=now - timedelta(days=3))
    assert late_retry.status_code == 200 and ancient.status_code == 200
    older = InboundEvent.objects.get(dedupe_key="shopify:older")
    assert older.status == "ignored" and "newer event" in older.payload["stale"]
    assert "Older than" in InboundEvent.objects.get(dedupe_key="shopify:ancient").payload["stale"]
    assert older.detail.startswith("Stale: A newer event for this order")
    assert inbound_events_route_pending(connection_id=connection.pk) == 1
    assert SyncItem.objects.filter(flow=flow).count() == 1


def test_non_order_topics_are_kept_but_not_synced(client, shop_connection):
    connection = shop_connection("shopify")
    FlowFactory(source_connection=connection, source_object="order")
    assert post(client, connection, order_body(), topic="app/uninstalled").status_code == 200
    assert InboundEvent.objects.get().status == "ignored" and not SyncItem.objects.exists()


def test_unknown_or_wrong_system_connection_is_404(client, shop_connection):
    woo = shop_connection("woocommerce")
    assert post(client, woo, order_body()).status_code == 404

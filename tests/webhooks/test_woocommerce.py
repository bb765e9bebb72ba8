"""WooCommerce receiver: the ping, signature, delivery-id dedupe, exact money."""
import json
from decimal import Decimal

import pytest

from integrations.connectors.shop.order import ShopOrder, signature_base64
from integrations.models import InboundEvent, SyncItem
from integrations.sync.routing import inbound_events_route_pending
from tests.factories import FlowFactory
from tests.webhooks.conftest import SECRET

pytestmark = pytest.mark.django_db


def order_body(modified="2026-03-01T09:00:00", **extra):
    # WooCommerce sends line prices as JSON numbers: 19.99 must arrive as Decimal("19.99").
    return json.dumps({
        "id": 727, "number": "727", "status": "processing", "currency": "USD", "date_created_gmt": "2026-03-01T08:59:00",
        "date_modified_gmt": modified, "total": "47.93", "total_tax": "3.96", "shipping_total": "3.99",
        "customer_id": 12, "billing": {"first_name": "Sam", "last_name": "Lee", "company": "Lee & Co",
                                       "email": "sam@lee.test", "address_1": "5 Elm", "city": "Austin",
                                       "postcode": "73301", "country": "US"},
        "line_items": [{"id": 31, "name": "Widget", "sku": "WIDGET-S", "quantity": 2, "subtotal": "39.98",
                        "total": "39.98", "price": 19.99}],
        **extra,
    }).encode()


def post(client, connection, body, *, delivery="d-1", topic="order.created", signature=None):
    return client.post(
        f"/api/webhooks/woocommerce/{connection.pk}/", body, content_type="application/json",
        HTTP_X_WC_WEBHOOK_SIGNATURE=signature or signature_base64(SECRET, body), HTTP_X_WC_WEBHOOK_TOPIC=topic,
        HTTP_X_WC_WEBHOOK_RESOURCE="order", HTTP_X_WC_WEBHOOK_DELIVERY_ID=delivery,
        HTTP_X_WC_WEBHOOK_SOURCE="https://shop.example/")


def test_the_form_encoded_ping_is_answered_200_and_not_stored(client, shop_connection):
    connection = shop_connection("woocommerce")
    response = client.post(f"/api/webhooks/woocommerce/{connection.pk}/", b"webhook_id=15",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.json()["webhook_id"] == "15"
    assert not InboundEvent.objects.exists()


def test_anything_else_unsigned_is_401(client, shop_connection):
    connection = shop_connection("woocommerce")
    response = client.post(f"/api/webhooks/woocommerce/{connection.pk}/", b"webhook_id=15&x=1",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401


def test_a_signed_order_is_stored_with_decimal_money_and_routed(client, shop_connection):
    connection = shop_connection("woocommerce")
    flow = FlowFactory(source_connection=connection, source_object="order")
    assert post(client, connection, order_body()).status_code == 200
    event = InboundEvent.objects.get()
    assert event.dedupe_key == "woocommerce:d-1" and event.object_id == "727"
    order = ShopOrder.from_payload(event.payload["order"])
    assert order.lines[0].unit_price == Decimal("19.99") and order.total == Decimal("47.93")
    assert order.customer.company == "Lee & Co" and order.source == "woocommerce"
    assert inbound_events_route_pending(connection_id=connection.pk) == 1
    assert SyncItem.objects.filter(flow=flow, source_id="727").count() == 1


def test_tampered_or_wrongly_signed_bodies_are_401(client, shop_connection):
    connection = shop_connection("woocommerce")
    body = order_body()
    assert post(client, connection, body.replace(b"47.93", b"4.79"), signature=signature_base64(SECRET, body)
                ).status_code == 401
    assert post(client, connection, body, signature=signature_base64("other", body)).status_code == 401
    assert not InboundEvent.objects.exists()


def test_duplicate_delivery_ids_are_absorbed_and_missing_ones_refused(client, shop_connection):
    connection = shop_connection("woocommerce")
    post(client, connection, order_body())
    assert post(client, connection, order_body()).json()["new"] == 0
    assert InboundEvent.objects.get().duplicate_count == 1
    body = order_body()
    response = client.post(f"/api/webhooks/woocommerce/{connection.pk}/", body, content_type="application/json",
                           HTTP_X_WC_WEBHOOK_SIGNATURE=signature_base64(SECRET, body))
    assert response.status_code == 400 and "Delivery-ID" in response.json()["error"]


def test_an_older_version_of_the_order_is_stale(client, shop_connection):
    connection = shop_connection("woocommerce")
    flow = FlowFactory(source_connection=connection, source_object="order")
    post(client, connection, order_body(modified="2099-03-01T10:00:00"), delivery="new", topic="order.updated")
    post(client, connection, order_body(modified="2099-03-01T09:00:00"), delivery="old", topic="order.updated")
    assert InboundEvent.objects.get(dedupe_key="woocommerce:old").status == "ignored"
    inbound_events_route_pending(connection_id=connection.pk)
    assert SyncItem.objects.filter(flow=flow).count() == 1


def test_malformed_json_is_400(client, shop_connection):
    response = post(client, shop_connection("woocommerce"), b'{"id": ')
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]

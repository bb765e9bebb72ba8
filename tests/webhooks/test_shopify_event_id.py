"""X-Shopify-Event-Id and X-Shopify-API-Version on each delivery (issue 18): one event delivered to two
subscriptions is stored once; a second event carrying a version of the order already received is
stored but starts no second sync."""
import pytest
from django.utils import timezone

from integrations.connectors.shop.order import signature_base64
from integrations.models import InboundEvent, SyncItem
from integrations.sync.routing import inbound_events_route_pending
from tests.factories import FlowFactory
from tests.webhooks.conftest import SECRET
from tests.webhooks.test_shopify import order_body

pytestmark = pytest.mark.django_db


def post(client, connection, body, *, webhook_id, event_id, topic="orders/create"):
    return client.post(f"/api/webhooks/shopify/{connection.pk}/", body, content_type="application/json", **{
        "HTTP_X_SHOPIFY_TOPIC": topic, "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id, "HTTP_X_SHOPIFY_EVENT_ID": event_id,
        "HTTP_X_SHOPIFY_API_VERSION": "2025-07", "HTTP_X_SHOPIFY_HMAC_SHA256": signature_base64(SECRET, body),
        "HTTP_X_SHOPIFY_TRIGGERED_AT": timezone.now().isoformat()})


def test_one_event_to_two_subscriptions_is_stored_once_with_its_api_version(client, shop_connection):
    connection = shop_connection("shopify")
    FlowFactory(source_connection=connection, source_object="order")
    body = order_body()
    assert post(client, connection, body, webhook_id="wh-a", event_id="ev-1").json() == {"received": 1, "new": 1}
    assert post(client, connection, body, webhook_id="wh-b", event_id="ev-1").json() == {"received": 1, "new": 0}
    event = InboundEvent.objects.get()
    assert event.dedupe_key == "shopify:event:ev-1" and event.duplicate_count == 1
    assert (event.payload["api_version"], event.payload["event_id"]) == ("2025-07", "ev-1")
    assert event.headers["X-Shopify-Api-Version"] == "2025-07"


def test_another_event_with_a_version_already_received_starts_no_second_sync(client, shop_connection):
    connection = shop_connection("shopify")
    FlowFactory(source_connection=connection, source_object="order")
    body = order_body()
    post(client, connection, body, webhook_id="wh-a", event_id="ev-1")
    post(client, connection, body, webhook_id="wh-b", event_id="ev-2", topic="orders/paid")
    inbound_events_route_pending()
    assert SyncItem.objects.count() == 1
    second = InboundEvent.objects.get(dedupe_key="shopify:event:ev-2")
    assert second.status == "ignored" and "already received" in second.detail
    # a newer version (updated later) is synced
    post(client, connection, order_body(updated_at="2026-03-01T11:00:00+01:00"), webhook_id="wh-c", event_id="ev-3",
         topic="orders/updated")
    inbound_events_route_pending()
    assert InboundEvent.objects.get(dedupe_key="shopify:event:ev-3").status == "processed"

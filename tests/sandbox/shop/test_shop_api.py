"""The shop simulator's Shopify Admin API and WooCommerce REST API, and the webhook subscriptions
Ledgerlink registers through them (issue 18), over real HTTP."""
import pytest
import requests

from integrations.connectors.shop.api import SHOPIFY_TOKEN, WOO_KEY, WOO_SECRET, shop_client
from integrations.connectors.shop.subscriptions import shop_connection_test, shop_webhooks_check, shop_webhooks_ensure
from integrations.errors import SyncError
from integrations.models import InboundEvent
from integrations.sandbox.shop import services
from integrations.sandbox.shop.models import Endpoint
from tests.factories import ConnectionFactory
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db(transaction=True)
LINES = [{"sku": "WIDGET-S", "quantity": "1", "price": "19.99", "name": "Widget"}]


def shop_connection(live_server, platform, *, webhook_secret="woo-hook-secret"):
    access = services.api_access(platform)
    connection = ConnectionFactory(system=platform, base_url=f"{live_server.url}/sandbox/shop/{platform}")
    if platform == "shopify":
        connection.set_secrets(**{SHOPIFY_TOKEN: access.access_token, "webhook_secret": access.app_secret})
    else:
        connection.set_secrets(**{WOO_KEY: access.consumer_key, WOO_SECRET: access.consumer_secret,
                                  "webhook_secret": webhook_secret})
    connection.save()
    return connection


def place(platform, n):
    return services.order_place(platform=platform, first_name="Ann", last_name="Lee", email=f"ann{n}@lee.test",
                                currency="USD", lines=LINES)


def test_shopify_orders_need_the_access_token_and_page_by_cursor(live_server, settings):
    root = f"{live_server.url}/sandbox/shop/shopify/admin/api/2025-07/orders.json"
    assert requests.get(root, timeout=10).status_code == 401
    assert requests.get(root, headers={"X-Shopify-Access-Token": "shpat_nope"}, timeout=10).status_code == 401
    token = {"X-Shopify-Access-Token": services.api_access("shopify").access_token}
    orders = [place("shopify", n) for n in range(5)]
    first = requests.get(root, params={"limit": 2, "status": "any", "updated_at_min": "2000-01-01T00:00:00Z"},
                         headers=token, timeout=10)
    assert first.status_code == 200 and first.headers["X-Shopify-API-Version"] == "2025-07"
    assert len(first.json()["orders"]) == 2 and 'rel="next"' in first.headers["Link"]
    following = first.links["next"]["url"]
    # page_info carries the filters: adding one is refused, as Shopify does
    assert requests.get(following, params={"status": "any"}, headers=token, timeout=10).status_code == 400
    assert requests.get(root, params={"limit": 251}, headers=token, timeout=10).status_code == 400
    # the connector pages through all of them, ids exact (64-bit)
    settings.SHOPIFY_PAGE_LIMIT = 2
    connection = shop_connection(live_server, "shopify")
    from datetime import datetime, timezone
    read = list(shop_client(connection).orders_updated_since(datetime(2000, 1, 1, tzinfo=timezone.utc)))
    assert [r.order.id for r in read] == [o.external_id for o in orders]


def test_woocommerce_orders_need_the_consumer_key_and_page_by_number(live_server, settings):
    root = f"{live_server.url}/sandbox/shop/woocommerce/wp-json/wc/v3/orders"
    access = services.api_access("woocommerce")
    assert requests.get(root, timeout=10).json()["code"] == "woocommerce_rest_cannot_view"
    wrong = requests.get(root, auth=(access.consumer_key, "cs_wrong"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["message"] == "Consumer secret is invalid."
    orders = [place("woocommerce", n) for n in range(3)]
    page = requests.get(root, params={"per_page": 2, "page": 2, "modified_after": "2000-01-01T00:00:00"},
                        auth=(access.consumer_key, access.consumer_secret), timeout=10)
    assert page.status_code == 200 and (page.headers["X-WP-Total"], page.headers["X-WP-TotalPages"]) == ("3", "2")
    assert [o["id"] for o in page.json()] == [int(orders[2].external_id)]
    too_many = requests.get(root, params={"per_page": 101}, auth=(access.consumer_key, access.consumer_secret),
                            timeout=10)
    assert too_many.status_code == 400 and too_many.json()["code"] == "rest_invalid_param"
    settings.WOOCOMMERCE_PER_PAGE = 2
    from datetime import datetime, timezone
    read = list(shop_client(shop_connection(live_server, "woocommerce"))
                .orders_updated_since(datetime(2000, 1, 1, tzinfo=timezone.utc)))
    assert [r.order.id for r in read] == [o.external_id for o in orders]


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_webhooks_are_registered_by_setup_and_recreated_when_deleted(live_server, settings, client, platform):
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    connection = shop_connection(live_server, platform)
    assert shop_webhooks_check(connection)  # nothing registered yet: the check says what is missing
    with pytest.raises(SyncError, match="No .* webhook to"):
        shop_connection_test(connection=connection)  # the admin's "Test connection" says so too
    report = shop_webhooks_ensure(connection)
    assert report.problems == [] and report.created == settings.SHOP_WEBHOOK_TOPICS[platform], report.sentence()
    assert shop_webhooks_check(connection) == []
    assert "API credentials work" in shop_connection_test(connection=connection)
    connection.refresh_from_db()
    recorded = connection.settings["webhooks"]
    assert recorded["api_version"] == ("2025-07" if platform == "shopify" else "wp_api_v3")
    assert set(recorded["subscriptions"]) == set(settings.SHOP_WEBHOOK_TOPICS[platform])
    assert shop_webhooks_ensure(connection).created == []  # idempotent

    # someone deletes the order-creation subscription in the shop: the check sees it, ensure re-creates it
    created_topic = settings.SHOP_WEBHOOK_TOPICS[platform][0]
    endpoint = Endpoint.objects.get(platform=platform, topic=created_topic, active=True)
    assert client.post(f"/sandbox/shop/endpoints/{endpoint.pk}/delete/").status_code == 302
    problems = shop_webhooks_check(connection)
    assert len(problems) == 1 and created_topic in problems[0]
    assert shop_webhooks_ensure(connection).created == [created_topic]

    # and an order is delivered through the re-created subscription, signed as the connection expects
    place(platform, 1)
    assert services.outbox_drain() == {"sent": 1, "failed": 0, "pending": 0}
    assert InboundEvent.objects.get(connection=connection).status == "received"


def test_shopify_webhook_registration_refuses_the_privacy_topics_and_duplicates(live_server):
    url = f"{live_server.url}/sandbox/shop/shopify/admin/api/2025-07/webhooks.json"
    token = {"X-Shopify-Access-Token": services.api_access("shopify").access_token}
    body = {"webhook": {"topic": "orders/create", "address": "https://ledgerlink.example/api/webhooks/shopify/1/"}}
    assert requests.post(url, json=body, timeout=10).status_code == 401
    assert requests.post(url, json=body, headers=token, timeout=10).status_code == 201
    assert requests.post(url, json=body, headers=token, timeout=10).status_code == 422
    privacy = {"webhook": {**body["webhook"], "topic": "customers/redact"}}
    assert requests.post(url, json=privacy, headers=token, timeout=10).status_code == 422


def test_woocommerce_webhooks_cannot_be_trashed(live_server):
    access = services.api_access("woocommerce")
    auth = (access.consumer_key, access.consumer_secret)
    root = f"{live_server.url}/sandbox/shop/woocommerce/wp-json/wc/v3/webhooks"
    made = requests.post(root, auth=auth, timeout=10, json={"topic": "order.created", "secret": "x",
                                                            "delivery_url": "https://ledgerlink.example/hook/"})
    assert made.status_code == 201 and made.json()["status"] == "active"
    assert requests.delete(f"{root}/{made.json()['id']}", auth=auth, timeout=10).status_code == 501
    assert requests.delete(f"{root}/{made.json()['id']}", params={"force": "true"}, auth=auth, timeout=10).ok
    assert requests.get(root, auth=auth, timeout=10).json() == []


def test_the_page_shows_the_credentials_and_drops_webhooks(client):
    page = client.get("/sandbox/shop/").content.decode()
    assert services.api_access("shopify").access_token in page and services.api_access("woocommerce").consumer_key in page
    assert client.post("/sandbox/shop/outage/", {"minutes": "abc"}).status_code == 302
    assert services.webhooks_dropped_until() is None
    client.post("/sandbox/shop/outage/", {"minutes": "5"})
    assert services.webhooks_dropped_until() is not None
    client.post("/sandbox/shop/outage/", {"minutes": "0"})
    assert services.webhooks_dropped_until() is None


def test_one_order_to_two_subscriptions_is_one_event(live_server, settings):
    """The shop sends one X-Shopify-Event-Id to every subscription: Ledgerlink stores the event once."""
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    connection = shop_connection(live_server, "shopify")
    assert shop_webhooks_ensure(connection).problems == []
    services.endpoint_configure(platform="shopify", url=f"{live_server.url}/api/webhooks/shopify/{connection.pk}/",
                                secret=services.api_access("shopify").app_secret)  # a second one, made by hand
    place("shopify", 1)
    assert services.outbox_drain()["sent"] == 2
    event = InboundEvent.objects.get(connection=connection)
    assert event.duplicate_count == 1 and event.dedupe_key.startswith("shopify:event:")
    assert event.payload["api_version"] == "2025-07"


def test_preflight_checks_name_missing_credentials_and_missing_webhooks(live_server, settings):
    from integrations.connectors.registry import CONNECTORS

    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    checks = CONNECTORS["woocommerce"].preflight_checks
    bare = ConnectionFactory(system="woocommerce", base_url=f"{live_server.url}/sandbox/shop/woocommerce")
    (only,) = checks(connection=bare)
    assert only.failed and "consumer key and secret" in only.sentence
    connection = shop_connection(live_server, "woocommerce")
    results = {r.name: r for r in checks(connection=connection)}
    assert not results["API credentials"].failed
    assert results["Webhook subscriptions"].failed and not results["Webhook subscriptions"].blocks
    shop_webhooks_ensure(connection)
    assert [r.status for r in checks(connection=connection)] == ["pass", "pass"]

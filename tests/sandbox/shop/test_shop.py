"""The shop simulator: orders become signed webhooks that Ledgerlink's receivers accept, over real HTTP."""
import json
from decimal import Decimal

import pytest
from django_q.models import Schedule

from integrations.demo.shop import shop_sandbox_connections_ensure
from integrations.connectors.shop.order import ShopOrder as ParsedOrder
from integrations.models import Connection, InboundEvent
from integrations.sandbox.shop import services
from integrations.sandbox.shop.models import Delivery, Endpoint, ShopOrder
from tests.factories import ConnectionFactory
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)

LINES = [{"sku": "WIDGET-S", "quantity": "2", "price": "19.99", "name": "Widget"},
         {"sku": "SERVICE-H", "quantity": "1", "price": "0.10", "name": "Tip"}]


def connected(live_server, platform, secret="s3cret"):
    connection = ConnectionFactory(system=platform, base_url="")
    connection.set_secrets(webhook_secret=secret)
    connection.save()
    services.endpoint_configure(platform=platform, url=f"{live_server.url}/api/webhooks/{platform}/{connection.pk}/",
                                secret=secret)
    return connection


def place(platform):
    return services.order_place(platform=platform, first_name="Ann", last_name="Lee", email="ann@lee.test",
                                company="Lee Ltd", currency="usd", lines=LINES)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_an_order_arrives_as_a_verified_event_with_exact_ids_and_money(live_server, platform):
    connection = connected(live_server, platform)
    order = place(platform)
    assert services.outbox_drain() == {"sent": 1, "failed": 0, "pending": 0}
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("delivered", 200)
    event = InboundEvent.objects.get(connection=connection)
    assert event.signature_valid and event.object_id == order.external_id
    parsed = ParsedOrder.from_payload(event.payload["order"])
    assert parsed.total == Decimal("40.08") and parsed.lines[0].unit_price == Decimal("19.99")
    assert parsed.currency == "USD" and parsed.customer.company == "Lee Ltd"
    if platform == "shopify":
        assert int(parsed.id) > 2**53 and parsed.id == order.external_id


@pytest.mark.django_db(transaction=True)
def test_a_refused_delivery_is_retried_later_then_given_up(live_server):
    connection = connected(live_server, "shopify")
    Endpoint.objects.update(secret="not-what-ledgerlink-has")
    place("shopify")
    assert services.outbox_drain()["failed"] == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 401)
    assert Schedule.objects.filter(func="integrations.sandbox.shop.tasks.outbox_drain").count() == 1
    assert services.outbox_drain()["sent"] == 0  # not due yet
    for _ in range(services.MAX_ATTEMPTS - 1):
        Delivery.objects.update(next_attempt_at=delivery.created_at)
        services.outbox_drain()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == services.MAX_ATTEMPTS
    assert not InboundEvent.objects.filter(connection=connection).exists()


@pytest.mark.django_db(transaction=True)
def test_the_woocommerce_ping_is_answered(live_server):
    connected(live_server, "woocommerce")
    services.woocommerce_ping_queue(endpoint=Endpoint.objects.get())
    services.outbox_drain()
    assert Delivery.objects.get().last_status_code == 200 and not InboundEvent.objects.exists()


@pytest.mark.django_db
def test_page_places_orders_and_reports_bad_lines(client):
    services.endpoint_configure(platform="woocommerce", url="http://127.0.0.1:9/nowhere/", secret="x")
    assert client.get("/sandbox/shop/").status_code == 200
    response = client.post("/sandbox/shop/orders/", {"platform": "woocommerce", "first_name": "A", "last_name": "B",
                                                     "email": "a@b.test", "currency": "EUR",
                                                     "lines": "WIDGET-S, 3, 4.20"}, follow=True)
    assert b"1 webhook(s) queued" in response.content
    delivery = Delivery.objects.get()
    assert delivery.headers["X-WC-Webhook-Topic"] == "order.created" and '"price": 4.20' in delivery.body
    bad = client.post("/sandbox/shop/orders/", {"platform": "shopify", "currency": "EUR", "lines": "WIDGET-S, two, 1"},
                      follow=True)
    assert b"quantity and price must be numbers" in bad.content and Delivery.objects.count() == 1


@pytest.mark.parametrize("text, message", [
    ("", "at least one line"), ("SKU-ONLY", "write 'SKU, quantity, price'"), ("A, 1.5, 2", "whole number"),
    ("A, 1, -2", "not negative"),
])
def test_lines_parse_refuses_what_it_cannot_read(text, message):
    with pytest.raises(services.OrderRejected, match=message):
        services.lines_parse(text)


@pytest.mark.django_db
def test_demo_step_wires_both_platforms_and_is_idempotent(settings):
    settings.LEDGERLINK_PUBLIC_URL = "http://127.0.0.1:8000"
    shop_sandbox_connections_ensure(lambda line: None)
    shop_sandbox_connections_ensure(lambda line: None)
    for endpoint in Endpoint.objects.all():
        connection = Connection.objects.get(system=endpoint.platform)
        assert endpoint.url == f"http://127.0.0.1:8000/api/webhooks/{endpoint.platform}/{connection.pk}/"
        assert endpoint.secret == connection.get_secret("webhook_secret")
    # one subscription per topic the flows need (nothing serves the API during set-up: made directly)
    assert sorted(Endpoint.objects.values_list("platform", "topic")) == [
        ("shopify", "orders/cancelled"), ("shopify", "orders/create"), ("shopify", "orders/fulfilled"),
        ("shopify", "orders/updated"), ("shopify", "refunds/create"),
        ("woocommerce", "order.created"), ("woocommerce", "order.updated")]
    settings.LEDGERLINK_PUBLIC_URL = "https://ledgerlink.example"  # the public URL changed: old endpoints retire
    shop_sandbox_connections_ensure(lambda line: None)
    assert {url.split("/api/")[0] for url in Endpoint.objects.filter(active=True).values_list("url", flat=True)} == {
        "https://ledgerlink.example"}
    assert Endpoint.objects.filter(active=True).count() == 7 and Endpoint.objects.count() == 14


@pytest.mark.django_db(transaction=True)
def test_a_refund_sends_refunds_create_and_orders_updated_and_only_the_order_is_routed(live_server):
    connection = connected(live_server, "shopify")
    order = place("shopify")
    services.outbox_drain()
    services.order_refund(order=order, lines=services.refund_lines_parse(order, "WIDGET-S, 1"))
    assert services.outbox_drain()["failed"] == 0
    events = {e.event_type: e for e in InboundEvent.objects.filter(connection=connection)}
    assert set(events) == {"orders/create", "refunds/create", "orders/updated"}
    refund_event = events["refunds/create"]
    assert refund_event.object_id == order.external_id and refund_event.status == InboundEvent.Status.IGNORED
    assert events["orders/updated"].status != InboundEvent.Status.IGNORED  # a refund never makes it stale
    assert not events["orders/updated"].payload["stale"]
    parsed = ParsedOrder.from_payload(events["orders/updated"].payload["order"])
    assert [r.amount for r in parsed.refunds] == [Decimal("19.99")]


@pytest.mark.django_db
def test_page_places_refunds_and_cancels_orders_and_says_what_is_wrong(client):
    services.endpoint_configure(platform="shopify", url="http://127.0.0.1:9/nowhere/", secret="x")
    fields = {"platform": "shopify", "first_name": "A", "last_name": "B", "email": "a@b.test", "currency": "USD",
              "lines": "WIDGET-S, 2, 10, Widget, 1.50", "discount_code": "SAVE5", "order_discount": "5",
              "shipping": "4.95", "tax_rate": "20", "taxes_included": "on", "presentment_currency": "eur",
              "presentment_rate": "0.9", "withhold_email": "on"}
    assert b"webhook(s) queued" in client.post("/sandbox/shop/orders/", fields, follow=True).content
    order = ShopOrder.objects.get()
    assert order.email == "" and order.options["presentment_currency"] == "EUR" and order.options["taxes_included"]
    assert order.lines[0]["discount"] == "1.50"
    body = json.loads(Delivery.objects.get().body)
    assert body["email"] is None and body["presentment_currency"] == "EUR" and body["discount_codes"][0]["code"] == "SAVE5"
    woo = client.post("/sandbox/shop/orders/", {**fields, "platform": "woocommerce"}, follow=True)
    assert b"Only Shopify orders have a presentment currency" in woo.content
    too_much = client.post(f"/sandbox/shop/orders/{order.pk}/refund/", {"kind": "lines", "lines": "WIDGET-S, 3"},
                           follow=True)
    assert b"at most 2 of WIDGET-S can still be refunded" in too_much.content
    assert b"refunded" in client.post(f"/sandbox/shop/orders/{order.pk}/refund/", {"kind": "full"}, follow=True).content
    assert b"already refunded" in client.post(f"/sandbox/shop/orders/{order.pk}/refund/", {"kind": "shipping"},
                                              follow=True).content
    assert b"cancelled" in client.post(f"/sandbox/shop/orders/{order.pk}/cancel/", follow=True).content
    assert b"already cancelled" in client.post(f"/sandbox/shop/orders/{order.pk}/cancel/", follow=True).content
    topics = list(Delivery.objects.order_by("pk").values_list("topic", flat=True))
    assert topics == ["orders/create", "refunds/create", "orders/updated", "orders/cancelled", "orders/updated"]
    assert client.get("/sandbox/shop/").status_code == 200

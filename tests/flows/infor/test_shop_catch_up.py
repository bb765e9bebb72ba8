"""Orders a webhook missed reach FreshBooks and Infor through the catch-up poll of the shop's API
(issue 18), over real HTTP against the shop, FreshBooks and Infor simulators; the flow engine runs
as in test_order_to_cash.py."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations.connectors.shop.api import SHOPIFY_TOKEN, WOO_KEY, WOO_SECRET
from integrations.models import InboundEvent, SyncItem
from integrations.operations.backfill import flow_backfill
from integrations.sandbox.infor.models import Order
from integrations.sandbox.shop.models import Delivery
from integrations.sandbox.shop.services import api_access, outbox_drain, webhooks_drop
from integrations.triggers.polling import flow_poll
from tests.flows.infor.conftest import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)
FLOWS = {"shopify": "order-to-cash-shopify", "woocommerce": "order-to-cash-woocommerce"}


def with_api_credentials(world, live_server, platform):
    """The shop connection as an admin sets it up: the shop's address and its API credentials."""
    connection = world.shops[platform]
    access = api_access(platform)
    connection.base_url = f"{live_server.url}/sandbox/shop/{platform}"
    if platform == "shopify":
        connection.set_secrets(**{SHOPIFY_TOKEN: access.access_token})
    else:
        connection.set_secrets(**{WOO_KEY: access.consumer_key, WOO_SECRET: access.consumer_secret})
    connection.save()
    return connection


def place(world, platform, email, sku="WIDGET-S"):
    from integrations.sandbox.shop.services import order_place

    return order_place(platform=platform, first_name="Ann", last_name="Buyer", email=email, currency="USD",
                       company="Buyer Ltd", lines=[{"sku": sku, "quantity": "2", "price": "12.50", "name": "Widget"}])


def chains(order_ids):
    return {oid: [i.status for i in SyncItem.objects.filter(source_id=oid).order_by("pk")] for oid in order_ids}


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_orders_placed_while_webhooks_are_dropped_reach_freshbooks_and_infor_once(world, live_server, platform):
    with_api_credentials(world, live_server, platform)
    flow = world.flow(FLOWS[platform])
    webhooks_drop(minutes=30)
    orders = [place(world, platform, f"buyer{n}@shop.example") for n in range(3)]
    assert outbox_drain()["sent"] == 0 and Delivery.objects.filter(status="dropped").count() == 3
    run_until_idle()
    assert SyncItem.objects.count() == 0  # nothing arrived by webhook

    report = flow_poll(flow=flow)
    assert report.error == "" and (report.seen, report.enqueued) == (3, 3), report.sentence()
    run_until_idle()
    assert chains([o.external_id for o in orders]) == {o.external_id: ["succeeded"] * 4 for o in orders}
    invoices = list(world.fb.invoices.iterate(include=()))
    assert sorted(i["po_number"].lstrip("#") for i in invoices) == sorted(o.number for o in orders)  # one per order
    assert Order.objects.filter(stage="confirmed").count() == 3

    again = flow_poll(flow=flow)  # the overlap reads them again: nothing new
    assert (again.enqueued, again.already_synced) == (0, 3), again.sentence()
    # the shop sends the dropped webhooks after all (a late retry): stored, not synced a second time
    Delivery.objects.filter(status="dropped").update(status="pending")
    assert outbox_drain()["sent"] == 3
    run_until_idle()
    assert SyncItem.objects.count() == 12 and len(list(world.fb.invoices.iterate(include=()))) == 3
    assert InboundEvent.objects.filter(connection=world.shops[platform], event_type__startswith="order",
                                       status="ignored").count() == 3


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_a_delivery_and_a_poll_of_the_same_order_make_one_item(world, live_server, platform):
    with_api_credentials(world, live_server, platform)
    delivered = world.order(platform)  # the webhook arrives
    run_until_idle()
    report = flow_poll(flow=world.flow(FLOWS[platform]))
    assert (report.enqueued, report.already_synced) == (0, 1), report.sentence()
    run_until_idle()
    assert chains([delivered.external_id]) == {delivered.external_id: ["succeeded"] * 4}
    assert len(list(world.fb.invoices.iterate(include=()))) == 1


def test_a_backfill_of_past_orders_uses_the_same_reader(world, live_server):
    with_api_credentials(world, live_server, "shopify")
    webhooks_drop(minutes=30)
    orders = [place(world, "shopify", f"past{n}@shop.example") for n in range(2)]
    summary = flow_backfill(flow=world.flow(FLOWS["shopify"]))
    assert summary.counts["created"] + summary.counts["updated"] + summary.counts["matched"] == 2, summary.sentence()
    run_until_idle()
    assert chains([o.external_id for o in orders]) == {o.external_id: ["succeeded"] * 4 for o in orders}
    assert flow_poll(flow=world.flow(FLOWS["shopify"])).enqueued == 0  # the poll sees them as read


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_missing_or_wrong_api_credentials_give_a_clear_error(world, live_server, platform):
    flow = world.flow(FLOWS[platform])
    connection = world.shops[platform]
    connection.base_url = f"{live_server.url}/sandbox/shop/{platform}"
    connection.save()
    missing = flow_poll(flow=flow)
    assert "no Shopify Admin API access token" in missing.error if platform == "shopify" else \
        "no WooCommerce REST API consumer key and secret" in missing.error
    if platform == "shopify":
        connection.set_secrets(**{SHOPIFY_TOKEN: "shpat_wrong"})
    else:
        connection.set_secrets(**{WOO_KEY: api_access(platform).consumer_key, WOO_SECRET: "cs_wrong"})
    connection.save()
    wrong = flow_poll(flow=world.flow(FLOWS[platform]))
    assert "refused" in wrong.error and "(401)" in wrong.error, wrong.error
    flow.refresh_from_db()
    assert flow.poll_error == wrong.error and flow.poll_failures == 2


def test_readme_walkthrough_a_missed_webhook(world, live_server, client):
    """README, Order-to-Cash walk-through, "A missed webhook", step by step through the pages."""
    with_api_credentials(world, live_server, "shopify")
    # 1. /sandbox/shop/: "Drop webhooks for 10 minutes", then place a Shopify order
    assert client.post("/sandbox/shop/outage/", {"minutes": "10"}).status_code == 302
    page = client.get("/sandbox/shop/").content.decode()
    assert "Webhooks are being dropped until" in page
    client.post("/sandbox/shop/orders/", {"platform": "shopify", "currency": "USD", "first_name": "Jane",
                                          "last_name": "Doe", "email": "jane@example.com", "company": "Doe Trading",
                                          "country": "US", "lines": "WIDGET-S, 2, 12.50\nSERVICE-H, 1, 95"})
    outbox_drain()
    run_until_idle()
    # 2. Admin → Sync items: nothing arrives
    assert SyncItem.objects.count() == 0
    # 3. Admin → Flows: select order-to-cash-shopify, action "Poll now"
    admin = get_user_model().objects.create_superuser("walker", "walker@example.com", "pw-walker-1")
    client.force_login(admin)
    flow = world.flow("order-to-cash-shopify")
    response = client.post(reverse("admin:integrations_flow_changelist"),
                           {"action": "poll_now", "_selected_action": [flow.pk]})
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("1 changed since" in m and "1 queued" in m for m in said), said
    # 4. the order arrives: four items succeed, the invoice and the confirmed Infor order exist
    run_until_idle()
    assert [i.status for i in SyncItem.objects.order_by("pk")] == ["succeeded"] * 4
    assert [i["amount"]["amount"] for i in world.fb.invoices.iterate(include=())] == ["120.00"]
    assert Order.objects.filter(stage="confirmed").count() == 1
    # 5. delete a webhook subscription on the shop page; the admin action re-creates it
    from integrations.connectors.shop.subscriptions import shop_webhooks_check, shop_webhooks_ensure
    from integrations.sandbox.shop.models import Endpoint

    connection = world.shops["shopify"]
    assert shop_webhooks_ensure(connection).problems == []
    gone = Endpoint.objects.get(platform="shopify", topic="orders/create", active=True)
    assert client.post(f"/sandbox/shop/endpoints/{gone.pk}/delete/").status_code == 302
    assert shop_webhooks_check(connection) != []
    response = client.post(reverse("admin:integrations_connection_changelist"),
                           {"action": "register_shop_webhooks", "_selected_action": [connection.pk]})
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("registered orders/create" in m for m in said), said
    assert shop_webhooks_check(connection) == []

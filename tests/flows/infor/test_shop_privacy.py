"""Shopify's privacy topics (issue 18): answered 200 and acted on, over real HTTP, after orders ran
through the whole Order-to-Cash chain (so their data sits in events, items and bindings)."""
import json
import uuid

import pytest
import requests

from integrations.connectors.shop.order import signature_base64
from integrations.models import Binding, InboundEvent, SyncItem
from integrations.sandbox.shop.payloads import SHOPIFY_ID_BASE
from integrations.sandbox.shop.services import order_place
from monitoring.models import Finding, SyncAttempt
from tests.flows.infor.conftest import SECRET, run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)


def place(first, last, email):
    from integrations.sandbox.shop.services import outbox_drain

    order = order_place(platform="shopify", first_name=first, last_name=last, email=email, currency="USD",
                        company=f"{last} Holdings", lines=[{"sku": "WIDGET-S", "quantity": "2", "price": "12.50",
                                                            "name": "Widget small"}])
    assert outbox_drain()["sent"] == 1
    return order


def send(live_server, connection, topic, data, *, secret=SECRET):
    body = json.dumps(data).encode()
    return requests.post(f"{live_server.url}/api/webhooks/shopify/{connection.pk}/", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signature_base64(secret, body),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Shop-Domain": "ledgerlink-demo.myshopify.com",
        "X-Shopify-API-Version": "2025-07"})


def stored_text() -> str:
    """Everything Ledgerlink stored about orders, as one text to search."""
    rows = [*InboundEvent.objects.values("body", "payload"),
            *SyncItem.objects.values("source_snapshot", "mapped_payload", "result", "hint", "last_error"),
            *Binding.objects.values("last_written_payload", "extra", "external_id"),
            *SyncAttempt.objects.values("message")]
    return json.dumps(rows, default=str)


def test_customers_redact_removes_that_customers_personal_data_and_keeps_amounts(world, live_server):
    annabel = place("Annabel", "Quillfeather", "annabel@quill.example")
    place("Roberto", "Stonewall", "roberto@stone.example")
    run_until_idle()
    assert {i.status for i in SyncItem.objects.all()} == {"succeeded"} and SyncItem.objects.count() == 8
    assert "annabel@quill.example" in stored_text() and "Quillfeather" in stored_text()
    SyncAttempt.objects.filter(sync_item__source_id=annabel.external_id).update(
        message="Created client for annabel@quill.example")  # an attempt's account naming the customer

    connection = world.shops["shopify"]
    customer_id = SHOPIFY_ID_BASE + 900_000_000 + annabel.pk
    answer = send(live_server, connection, "customers/redact", {
        "shop_id": 954889, "shop_domain": "ledgerlink-demo.myshopify.com",
        "customer": {"id": customer_id, "email": "annabel@quill.example", "phone": "555-625-1199"},
        "orders_to_redact": [int(annabel.external_id)]})
    assert answer.status_code == 200, answer.text
    text = stored_text()
    for personal in ("annabel@quill.example", "Annabel", "Quillfeather"):
        assert personal not in text, personal
    assert "roberto@stone.example" in text and "Stonewall" in text  # the other customer is untouched
    event = InboundEvent.objects.filter(object_id=annabel.external_id, event_type="orders/create").get()
    assert event.payload["order"]["total"] == "25.00" and event.payload["order"]["id"] == annabel.external_id
    assert json.loads(event.body)["line_items"][0]["sku"] == "WIDGET-S"
    privacy = InboundEvent.objects.get(event_type="customers/redact")
    assert privacy.body == "" and privacy.payload["customer_id"] == str(customer_id)  # kept without the e-mail


def test_shop_redact_removes_every_customers_personal_data(world, live_server):
    place("Annabel", "Quillfeather", "annabel@quill.example")
    place("Roberto", "Stonewall", "roberto@stone.example")
    run_until_idle()
    answer = send(live_server, world.shops["shopify"], "shop/redact",
                  {"shop_id": 954889, "shop_domain": "ledgerlink-demo.myshopify.com"})
    assert answer.status_code == 200, answer.text
    text = stored_text()
    for personal in ("annabel@quill.example", "Quillfeather", "roberto@stone.example", "Stonewall"):
        assert personal not in text, personal
    assert SyncItem.objects.filter(step="freshbooks_invoice").count() == 2  # the work itself is kept


def test_a_data_request_becomes_a_finding_and_a_bad_signature_is_refused(world, live_server):
    connection = world.shops["shopify"]
    data = {"shop_id": 954889, "shop_domain": "ledgerlink-demo.myshopify.com", "orders_requested": [299938, 280263],
            "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
            "data_request": {"id": 9999}}
    assert send(live_server, connection, "customers/data_request", data, secret="wrong").status_code == 401
    assert Finding.objects.count() == 0
    assert send(live_server, connection, "customers/data_request", data).status_code == 200
    finding = Finding.objects.get(check_name="shop_data_request")
    assert finding.details["orders_requested"] == ["299938", "280263"] and finding.details["customer_id"] == "191167"
    assert "john@example.com" not in json.dumps(finding.details)
    bad = send(live_server, connection, "customers/redact", {**data, "orders_to_redact": "all"})
    assert bad.status_code == 400 and "orders_to_redact" in bad.text


"""The change-event receiver: verification, shapes, dedupe, echo suppression, and the
simulator's CDC delivery to it over real HTTP (both changedFields forms)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
import requests

from integrations.models import InboundEvent, SyncItem
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.events import deliveries_drain
from integrations.sandbox.salesforce.models import SfDelivery, SfSubscription
from integrations.sandbox.salesforce.writes import record_update
from integrations.sync.routing import inbound_events_route_pending
from tests.factories import FlowFactory
from tests.sandbox.salesforce.fixtures import WEBHOOK_SECRET

EVENT = {"data": {"schema": "s1", "payload": {
    "ChangeEventHeader": {"entityName": "Account", "recordIds": ["0015g00000ABCDEAAA"], "changeType": "UPDATE",
                          "changedFields": ["Name", "LastModifiedDate"], "changeOrigin": "com/salesforce/api/rest/62.0",
                          "transactionKey": "tk-1", "sequenceNumber": 1, "commitTimestamp": 1714172795000},
    "Name": "New name"}, "event": {"replayId": 41}}, "channel": "/data/AccountChangeEvent"}


def _sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def url(live_server, sf_connection):
    return f"{live_server.url}/api/webhooks/salesforce/{sf_connection.pk}/"


def _post(url, payload, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **headers}
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_signed_event_is_stored_once_and_routed(url, sf_connection):
    flow = FlowFactory(source_connection=sf_connection, source_object="Account")
    body = json.dumps(EVENT).encode()
    first = _post(url, body, **{"X-Ledgerlink-Signature": _sign(body)})
    again = _post(url, body, **{"X-Ledgerlink-Signature": _sign(body)})
    assert first.status_code == again.status_code == 200 and first.json()["new"] == 1 and again.json()["new"] == 0
    event = InboundEvent.objects.get()
    assert (event.dedupe_key, event.object_id, event.duplicate_count) == ("replay:41:0015g00000ABCDEAAA",
                                                                        "0015g00000ABCDEAAA", 1)
    assert event.payload["changedFields"] == ["Name", "LastModifiedDate"]
    assert not SyncItem.objects.exists()  # routing is a worker's job, after the 200
    assert inbound_events_route_pending(connection_id=sf_connection.pk) == 1
    assert SyncItem.objects.get().flow == flow


def test_bearer_secret_and_list_of_events(url):
    second = json.loads(json.dumps(EVENT))
    second["data"]["event"]["replayId"] = 42
    answer = _post(url, [EVENT, second], Authorization=f"Bearer {WEBHOOK_SECRET}")
    assert answer.status_code == 200 and answer.json() == {"received": 2, "new": 2}


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({"X-Ledgerlink-Signature": "bm90IGl0"}, 401),
    ({"Authorization": "Bearer wrong"}, 401),
])
def test_bad_credentials_are_401_and_nothing_stored(url, headers, status):
    assert _post(url, EVENT, **headers).status_code == status
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize("payload, message", [
    (b"{not json", "not valid JSON"),
    ({"hello": "world"}, "no ChangeEventHeader"),
    ({"ChangeEventHeader": {"entityName": "Account", "changeType": "RENAME", "recordIds": ["x"]}}, "not a change type"),
    ([], "empty"),
    ({"ChangeEventHeader": {"entityName": "Account", "changeType": "UPDATE", "recordIds": ["0015g00000ABCDEAAA"],
                            "changedFields": ["0xZZ"]}}, "hex bitmap"),
])
def test_malformed_bodies_get_a_clear_400(url, payload, message):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    answer = _post(url, body, **{"X-Ledgerlink-Signature": _sign(body)})
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_oversized_body_is_413(url, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    body = json.dumps(EVENT).encode()
    assert _post(url, body, **{"X-Ledgerlink-Signature": _sign(body)}).status_code == 413


@pytest.mark.parametrize("shape", [SfSubscription.Shape.COMETD, SfSubscription.Shape.PUBSUB])
def test_simulator_delivers_cdc_and_our_own_writes_are_not_routed(sf, sf_connection, url, shape):
    FlowFactory(source_connection=sf_connection, source_object="Account")
    sim.subscription_ensure(endpoint=url, secret=WEBHOOK_SECRET, shape=shape)
    ours = sf.create("Account", {"Name": "Written by Ledgerlink"})
    theirs = sf.create("Account", {"Name": "Other"})
    record_update("Account", theirs, {"Name": "Edited in Salesforce", "Phone": "555"})  # a UI edit: no origin
    assert deliveries_drain() == {"sent": 3, "failed": 0}
    assert not SfDelivery.objects.exclude(status="delivered").exists()
    inbound_events_route_pending(connection_id=sf_connection.pk)
    echo = InboundEvent.objects.get(object_id=ours)
    assert echo.payload["echo"] is True and echo.status == InboundEvent.Status.IGNORED
    assert "echo suppression" in echo.detail
    update = InboundEvent.objects.get(object_id=theirs, event_type="Account.UPDATE")
    assert update.payload["echo"] is False and update.status == InboundEvent.Status.PROCESSED
    assert set(update.payload["changedFields"]) == {"Name", "Phone", "LastModifiedDate"}
    assert SyncItem.objects.filter(source_id=theirs).count() == 1 and not SyncItem.objects.filter(source_id=ours)


def test_failed_delivery_is_kept_and_retried(sf, sf_connection, live_server):
    sim.subscription_ensure(endpoint=f"{live_server.url}/api/webhooks/salesforce/{sf_connection.pk}/",
                            secret="wrong-secret")
    sf.create("Account", {"Name": "Undelivered"})
    assert deliveries_drain() == {"sent": 0, "failed": 1}
    delivery = SfDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 401 and delivery.attempts == 1

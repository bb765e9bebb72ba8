"""Webhooks end to end over real HTTP: registration, the verification handshake, signed
deliveries from the simulator's outbox into Ledgerlink's receiver, and faults."""
import pytest
import requests
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from integrations.connectors.freshbooks.services import (
    freshbooks_callback_confirm, freshbooks_callbacks_ensure, freshbooks_webhook_url,
)
from integrations.connectors.freshbooks.webhooks import signature_compute
from integrations.models import Connection, InboundEvent, SyncItem
from integrations.sandbox.freshbooks.deliveries import DRAIN_TASK, deliveries_drain
from integrations.sandbox.freshbooks.faults import faults_set
from integrations.sandbox.freshbooks.models import SimCallback, SimDelivery
from integrations.sync.routing import inbound_events_route_pending
from tests.factories import FlowFactory


@pytest.fixture
def hooked(fb, fb_client, live_server, settings):
    """A connection whose four parent-event callbacks are registered and verified."""
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    callbacks = freshbooks_callbacks_ensure(connection=fb_client.connection)
    assert sorted(c["event"] for c in callbacks) == ["client", "expense", "invoice", "payment"]
    assert deliveries_drain() == 4  # the four callback.verify POSTs reach our receiver
    for callback in callbacks:
        freshbooks_callback_confirm(connection=fb_client.connection, callback_id=str(callback["callbackid"]))
    assert SimCallback.objects.filter(verified=True).count() == 4
    return fb_client


def test_handshake_stores_verifiers_encrypted_and_verifies(hooked, fb):
    connection = Connection.objects.get(pk=hooked.connection.pk)
    verifiers = connection.get_secret("webhook_verifiers")
    assert set(verifiers.values()) == set(SimCallback.objects.values_list("verifier", flat=True))
    assert not any(v in connection.secrets_encrypted for v in verifiers.values())
    verify_events = InboundEvent.objects.filter(event_type="callback.verify")
    assert verify_events.count() == 4 and all(e.payload["verifier"] == "***" for e in verify_events)
    assert not any(v in (e.body or "") for e in verify_events for v in verifiers.values())
    assert freshbooks_callbacks_ensure(connection=connection)  # idempotent: nothing registered twice
    assert SimCallback.objects.count() == 4


def test_changes_arrive_signed_stored_and_deduplicated(hooked, fb):
    created = hooked.clients.create({"organization": "Webhook Co"})
    invoice = hooked.invoices.create({"customerid": created["id"], "create_date": "2024-01-01", "lines": []})
    assert deliveries_drain() == 2
    events = {(e.event_type, e.object_type, e.object_id) for e in InboundEvent.objects.exclude(event_type="callback.verify")}
    assert events == {("client.create", "client", str(created["id"])), ("invoice.create", "invoice", str(invoice["id"]))}
    assert all(d.response_status == 200 for d in SimDelivery.objects.filter(status="delivered"))

    # Duplicates are matched within a time window (webhook_dedupe_seconds); two copies either side of
    # a window's edge are stored twice (a known limit, noted on the issue). A wide window keeps this
    # test about the duplicate, not about where the clock stands.
    Connection.objects.filter(pk=hooked.connection.pk).update(
        settings={**hooked.connection.settings, "webhook_dedupe_seconds": 3600})
    faults_set(account=fb.account, fault_duplicate_deliveries=1)
    hooked.clients.update(created["id"], {"note": "twice"})
    assert deliveries_drain() == 2  # FreshBooks sends it twice …
    update = InboundEvent.objects.get(event_type="client.update")
    assert update.duplicate_count == 1  # … Ledgerlink keeps it once

    faults_set(account=fb.account, fault_drop_deliveries=1)
    hooked.clients.delete(created["id"])
    assert deliveries_drain() == 0 and SimDelivery.objects.filter(status="dropped").count() == 1
    assert not InboundEvent.objects.filter(event_type="client.delete").exists()


def test_a_second_change_within_the_window_after_the_first_was_routed_is_routed_again(hooked, fb):
    """FreshBooks sends no delivery id, so a repeat within webhook_dedupe_seconds may be a retry of the same
    delivery or a second change of the record. While the first copy waits to be routed they are one; once it
    has been routed (its item may have read the record already), a repeat is routed again: the record is read
    fresh once more (unchanged when it was a retry) instead of the second change waiting for the next poll."""
    Connection.objects.filter(pk=hooked.connection.pk).update(
        settings={**hooked.connection.settings, "webhook_dedupe_seconds": 3600})
    flow = FlowFactory(source_connection=Connection.objects.get(pk=hooked.connection.pk), source_object="client")
    created = hooked.clients.create({"organization": "Twice Co"})
    deliveries_drain()
    inbound_events_route_pending()
    SyncItem.objects.filter(flow=flow).update(status=SyncItem.Status.SUCCEEDED)  # a worker read and synced it

    hooked.clients.update(created["id"], {"note": "first change"})
    assert deliveries_drain() == 1
    inbound_events_route_pending()
    first = SyncItem.objects.filter(flow=flow, status=SyncItem.Status.PENDING).get()
    SyncItem.objects.filter(pk=first.pk).update(status=SyncItem.Status.SUCCEEDED)  # read before the next change

    hooked.clients.update(created["id"], {"note": "second change"})
    assert deliveries_drain() == 1
    update = InboundEvent.objects.get(event_type="client.update")
    assert (update.duplicate_count, update.status) == (1, InboundEvent.Status.RECEIVED)  # armed again
    assert inbound_events_route_pending() == 1
    assert SyncItem.objects.filter(flow=flow, status=SyncItem.Status.PENDING).exclude(pk=first.pk).count() == 1


def test_bad_signature_and_malformed_posts_are_rejected(hooked, fb):
    url = freshbooks_webhook_url(connection=hooked.connection)
    body = f"name=client.update&object_id=1&account_id={fb.account.account_id}&business_id=1&identity_id=1&user_id=1"
    good = signature_compute(SimCallback.objects.first().verifier, [tuple(p.split("=")) for p in body.split("&")])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert requests.post(url, data=body, headers={**form, "X-FreshBooks-Hmac-SHA256": good}, timeout=10).status_code == 200
    tampered = requests.post(url, data=body.replace("object_id=1", "object_id=2"),
                             headers={**form, "X-FreshBooks-Hmac-SHA256": good}, timeout=10)
    assert tampered.status_code == 401 and "signature" in tampered.json()["error"]
    assert requests.post(url, data=body, headers=form, timeout=10).status_code == 401
    other_account = body.replace(fb.account.account_id, "ZZZZZ")
    assert requests.post(url, data=other_account, headers={**form, "X-FreshBooks-Hmac-SHA256": good}, timeout=10).status_code == 400
    assert requests.post(url, data=b"\xff\xfe", headers=form, timeout=10).status_code == 400
    assert InboundEvent.objects.filter(event_type="client.update").count() == 1


def test_deliveries_are_sent_by_a_background_task(fb, fb_client, live_server, settings):
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    OrmQ.objects.all().delete()
    freshbooks_callbacks_ensure(connection=fb_client.connection)
    assert SimDelivery.objects.filter(status="pending").count() == 4  # the API answered before anything was sent
    queued = [SignedPackage.loads(q.payload)["func"] for q in OrmQ.objects.all()]
    assert DRAIN_TASK in queued
    from django.utils.module_loading import import_string

    assert import_string(DRAIN_TASK)() == 4
    assert SimDelivery.objects.filter(status="delivered").count() == 4

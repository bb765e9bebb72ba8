"""The real subscriber process (``manage.py salesforce_subscribe``) against the Salesforce
simulator's real gRPC server, on PostgreSQL."""
from __future__ import annotations

import signal
import threading
import time

import pytest
from django.utils import timezone

from integrations.connectors.salesforce.client import SalesforceClient
from integrations.models import Connection, PubSubSubscription, SubscriberLease, SyncItem
from integrations.sandbox.salesforce import services as sim
from monitoring.models import Finding
from tests.cluster import wait_until
from tests.subscriber.harness import (
    flows_for,
    pubsub_connect,
    pubsub_server,
    sf_create,
    sf_update,
    stored,
    subscriber,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(sf_root, sf_connection):
    # An idle stream hears from the server every second: a keepalive after a (re)start proves the
    # server has placed the stream (LATEST is where the tip is then), so a test writes only after it.
    sim.org_configure(pubsub_keepalive_seconds=1)
    with pubsub_server(sf_root) as running:
        pubsub_connect(sf_connection, running)
        yield running


def _ready(connection, topic, since):
    return PubSubSubscription.objects.filter(connection=connection, topic=topic, state="active",
                                             last_keepalive_at__gte=since).exists()


def _wait_active(connection, *topics, timeout=30):
    """Every topic's stream is open and placed: a keepalive came after this call."""
    since = timezone.now()
    wait_until(lambda: all(_ready(connection, t, since) for t in topics), timeout=timeout, what=f"{topics} ready")


def test_each_entity_arrives_decoded_against_its_schema(server, sf_connection, tmp_path):
    flows_for(sf_connection, "Account", "Contact", "Opportunity", "OpportunityLineItem")
    topics = [f"/data/{o}ChangeEvent" for o in ("Account", "Contact", "Opportunity", "OpportunityLineItem")]
    with subscriber(tmp_path / "sub.log"):
        _wait_active(sf_connection, *topics)
        account = sf_create("Account", {"Name": "Acme", "BillingCity": "Lyon"})
        sf_update("Account", account, {"BillingCity": "Paris", "Phone": "555"})
        contact = sf_create("Contact", {"LastName": "Curie", "FirstName": "Marie", "AccountId": account})
        sf_update("Contact", contact, {"LastName": "Sklodowska", "MailingCity": "Warsaw"})
        entry = sim.product_with_price_create(name="Widget", code="W-1", unit_price=10)
        opportunity = sf_create("Opportunity", {"Name": "Deal", "AccountId": account, "StageName": "Prospecting",
                                                "CloseDate": "2026-12-31"})
        line = sf_create("OpportunityLineItem", {"OpportunityId": opportunity, "PricebookEntryId": entry,
                                                 "Quantity": 2, "UnitPrice": 10})
        wanted = {(account, "CREATE"), (account, "UPDATE"), (contact, "CREATE"), (contact, "UPDATE"),
                  (opportunity, "CREATE"), (line, "CREATE")}
        wait_until(lambda: wanted <= {(e.object_id, e.payload["changeType"]) for e in stored(sf_connection)},
                   timeout=30, what="every entity's events")
    events = {(e.object_id, e.payload["changeType"]): e for e in stored(sf_connection)}
    account_update = events[(account, "UPDATE")]
    # The bitmap named the compound part: flattened to the REST name.
    assert {"BillingCity", "Phone"} <= set(account_update.payload["changedFields"])
    assert account_update.payload["fields"]["BillingCity"] == "Paris"
    assert "Name" not in account_update.payload["changedFields"]
    contact_update = events[(contact, "UPDATE")]
    assert {"LastName", "MailingCity"} <= set(contact_update.payload["changedFields"])
    assert events[(line, "CREATE")].object_type == "OpportunityLineItem"
    assert all(e.status in ("received", "processed") and not e.payload["echo"] for e in events.values())
    assert all(e.duplicate_count == 0 for e in events.values())


def test_our_own_writes_are_stored_but_not_routed(server, sf_connection, tmp_path):
    flows_for(sf_connection, "Account")
    with subscriber(tmp_path / "sub.log"):
        _wait_active(sf_connection, "/data/AccountChangeEvent")
        ours = SalesforceClient(sf_connection).create("Account", {"Name": "Written by Ledgerlink"})
        theirs = sf_create("Account", {"Name": "Written by a person"})
        wait_until(lambda: {ours, theirs} <= {e.object_id for e in stored(sf_connection)}, timeout=30,
                   what="both events")
    by_id = {e.object_id: e for e in stored(sf_connection)}
    assert by_id[ours].status == "ignored" and by_id[ours].payload["echo"] is True
    assert "echo suppression" in by_id[ours].detail
    assert by_id[theirs].status != "ignored" and by_id[theirs].payload["echo"] is False


def test_sigkill_mid_burst_then_restart_stores_every_event_exactly_once(server, sf_connection, tmp_path):
    flows_for(sf_connection, "Account")
    account = sf_create("Account", {"Name": "Burst"})
    total = 300
    done = threading.Event()

    def burst():
        for n in range(total):
            sf_update("Account", account, {"Phone": f"555-{n:04d}"})
        done.set()

    with subscriber(tmp_path / "first.log") as first:
        _wait_active(sf_connection, "/data/AccountChangeEvent")
        writer = threading.Thread(target=burst)
        writer.start()
        wait_until(lambda: len(stored(sf_connection)) >= 40, timeout=30, what="part of the burst stored")
        first.kill()  # SIGKILL while the burst is still being written and delivered
    killed_at = len(stored(sf_connection))  # the account's creation came before the subscriber: updates only
    writer.join(120)
    assert done.is_set() and killed_at < total
    with subscriber(tmp_path / "second.log"):
        wait_until(lambda: len(stored(sf_connection)) >= total, timeout=60, what="the whole burst")
    events = stored(sf_connection)
    updates = [e for e in events if e.payload["changeType"] == "UPDATE"]
    assert len(updates) == total
    # The replay id moved in the same transaction as the events: the restart resumed right after
    # the last stored one, so not one event was delivered twice.
    assert sum(e.duplicate_count for e in events) == 0
    assert sorted(e.payload["fields"]["Phone"] for e in updates) == [f"555-{n:04d}" for n in range(total)]


def test_expired_replay_id_resumes_from_latest_polls_and_records_a_finding(server, sf_connection, tmp_path):
    flow, = flows_for(sf_connection, "Account", kind="salesforce-account-to-freshbooks-client")
    topic = "/data/AccountChangeEvent"
    with subscriber(tmp_path / "first.log"):
        _wait_active(sf_connection, topic)
        before = sf_create("Account", {"Name": "Seen live"})
        wait_until(lambda: any(e.object_id == before for e in stored(sf_connection)), timeout=30, what="live event")
    missed = sf_create("Account", {"Name": "Changed while no subscriber ran"})
    sim.pubsub_replay_ids_expire()  # the stored replay id is now past retention
    with subscriber(tmp_path / "second.log"):
        wait_until(lambda: Finding.objects.filter(check_name="pubsub_gap").exists(), timeout=60, what="the finding")
        wait_until(lambda: SyncItem.objects.filter(flow=flow, source_id=missed).exists(), timeout=30,
                   what="the missed record queued by the catch-up poll")
        _wait_active(sf_connection, topic)
        after = sf_create("Account", {"Name": "After the gap"})
        wait_until(lambda: any(e.object_id == after for e in stored(sf_connection)), timeout=30,
                   what="events after the gap")
    finding = Finding.objects.get(check_name="pubsub_gap")
    assert topic in finding.title and "replay id" in finding.explanation
    assert not any(e.object_id == missed for e in stored(sf_connection))  # the stream did not deliver it: the poll did
    assert SyncItem.objects.get(flow=flow, source_id=missed).hint["reason"] == "poll"


def test_session_expiry_mid_stream_refreshes_and_loses_nothing(server, sf_connection, tmp_path):
    flows_for(sf_connection, "Account")
    old_token = sf_connection.get_secret("access_token")
    with subscriber(tmp_path / "sub.log"):
        _wait_active(sf_connection, "/data/AccountChangeEvent")
        first = sf_create("Account", {"Name": "Before expiry"})
        wait_until(lambda: any(e.object_id == first for e in stored(sf_connection)), timeout=30, what="first event")
        sim.sessions_expire_now()
        sim.pubsub_streams_drop()  # the open stream ends; resubscribing needs auth
        during = [sf_create("Account", {"Name": f"During {n}"}) for n in range(5)]
        wait_until(lambda: set(during) <= {e.object_id for e in stored(sf_connection)}, timeout=60,
                   what="events written while the session was expired")
    fresh = Connection.objects.get(pk=sf_connection.pk)
    assert fresh.get_secret("access_token") != old_token and fresh.token_state == "valid"
    assert sum(e.duplicate_count for e in stored(sf_connection)) == 0


def test_two_subscribers_one_active_and_the_standby_takes_over_within_30s(server, sf_connection, tmp_path):
    flows_for(sf_connection, "Account")
    with subscriber(tmp_path / "a.log") as a, subscriber(tmp_path / "b.log") as b:
        wait_until(lambda: SubscriberLease.objects.filter(connection=sf_connection).exists(), timeout=30,
                   what="a lease holder")
        _wait_active(sf_connection, "/data/AccountChangeEvent")
        pids = {str(a.process.pid): a, str(b.process.pid): b}
        holder = SubscriberLease.objects.get(connection=sf_connection).holder
        active = pids[holder.split(":")[1]]
        standby = b if active is a else a
        one = sf_create("Account", {"Name": "Seen by the active one"})
        wait_until(lambda: any(e.object_id == one for e in stored(sf_connection)), timeout=30, what="first event")
        assert "standby" in standby.log_text() and "active" in active.log_text()
        active.kill()
        killed = time.monotonic()
        two = sf_create("Account", {"Name": "Written after the active one died"})
        wait_until(lambda: SubscriberLease.objects.get(connection=sf_connection).holder != holder, timeout=40,
                   what="the standby taking the lease")
        took = time.monotonic() - killed
        wait_until(lambda: any(e.object_id == two for e in stored(sf_connection)), timeout=30,
                   what="the event written meanwhile")
        assert took <= 31, f"the standby took {took:.1f} s to take over"
        assert standby.process.poll() is None
        standby.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert standby.process.wait(10) == 0 and time.monotonic() - started < 10
    assert sum(e.duplicate_count for e in stored(sf_connection)) == 0
    assert not SubscriberLease.objects.filter(connection=sf_connection).exists()  # released on a clean stop

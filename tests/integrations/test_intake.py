"""Inbound events: stored once by the receiver, routed to flows by a worker, never stranded."""
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ

from integrations.connectors.freshbooks.webhooks import SIGNATURE_HEADER, signature_compute
from integrations.sync.routing import ROUTE_TASK, inbound_events_dispatch, inbound_events_route_pending
from integrations.triggers.intake import inbound_event_store
from integrations.models import InboundEvent, RouteWakeup, SyncItem
from integrations.sync.sweeper import sync_items_dispatch_due
from integrations.triggers.webhooks import connections as webhook_connections
from integrations.triggers.webhooks.rejections import webhook_rejections
from tests.factories import ConnectionFactory, FlowFactory

pytestmark = pytest.mark.django_db
VERIFIER = "intake-verifier-0123456789"


def route_tasks() -> int:
    """Route tasks waiting in the ORM broker (the payload is signed: count by the function's name)."""
    return sum(row.task["func"] == ROUTE_TASK for row in OrmQ.objects.all())


@pytest.fixture
def fb_hooked():
    connection = ConnectionFactory(system="freshbooks", settings={"account_id": "ACC1"})
    connection.set_secrets(webhook_verifiers={"7": VERIFIER})
    connection.save()
    return connection


def deliver(client, connection, object_id, *, name="payment.create", verifier=VERIFIER, account="ACC1"):
    params = [("name", name), ("object_id", str(object_id)), ("account_id", account), ("business_id", "1"),
              ("identity_id", "1"), ("user_id", "1")]
    return client.post(f"/api/webhooks/freshbooks/{connection.pk}/", urlencode(params),
                       content_type="application/x-www-form-urlencoded",
                       headers={SIGNATURE_HEADER: signature_compute(verifier, params)})


def test_every_connection_has_its_routing_row():
    connection = ConnectionFactory()
    assert RouteWakeup.objects.get(connection=connection).queued is False


def test_store_writes_once_and_counts_repeats():
    connection = ConnectionFactory()
    first = inbound_event_store(connection=connection, dedupe_key="k1", event_type="invoice.update",
                                object_type="invoice", object_id="9", payload={"a": 1}, headers={"X": "y"})
    again = inbound_event_store(connection=connection, dedupe_key="k1", event_type="invoice.update",
                                object_type="invoice", object_id="9", payload={"a": 2})
    assert first[1] is True and again == (first[0], False)
    event = InboundEvent.objects.get(pk=first[0])
    assert (event.payload, event.headers, event.duplicate_count, event.status) == ({"a": 1}, {"X": "y"}, 1, "received")
    assert event.received_at is not None and event.processed_at is None


def test_an_event_that_is_not_a_change_is_stored_ignored_with_its_reason():
    connection = ConnectionFactory()
    event_id, _ = inbound_event_store(connection=connection, dedupe_key="k2", event_type="ping", routable=False,
                                      detail="A ping: nothing to sync.")
    event = InboundEvent.objects.get(pk=event_id)
    assert (event.status, event.detail) == ("ignored", "A ping: nothing to sync.") and event.processed_at
    assert inbound_events_route_pending(connection_id=connection.pk) == 0


def test_a_signed_delivery_costs_two_statements_and_is_routed_by_the_worker(client, fb_hooked):
    flow = FlowFactory(source_connection=fb_hooked, source_object="payment")
    deliver(client, fb_hooked, 1)  # the first delivery of a process also checks the connection is alive
    inbound_events_route_pending(connection_id=fb_hooked.pk)
    with CaptureQueriesContext(db) as queries:
        response = deliver(client, fb_hooked, 2)
    assert response.status_code == 200 and response.json() == {"received": 1, "new": 1}
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    # the connection read, the event INSERT, the routing flag UPDATE and the task row (the flag was clear)
    assert statements == ["SELECT", "INSERT", "UPDATE", "INSERT"], statements
    event = InboundEvent.objects.get(object_id="2")
    assert event.status == "received" and not SyncItem.objects.filter(source_id="2").exists()
    assert inbound_events_route_pending(connection_id=fb_hooked.pk) == 1
    event.refresh_from_db()
    item = SyncItem.objects.get(source_id="2")
    assert (event.status, item.flow, item.action, item.inbound_event_id) == ("processed", flow, "upsert", event.pk)
    assert item.hint == {"event_type": "payment.create", "event_id": event.pk}


def test_a_burst_queues_one_route_task_until_the_task_starts(client, fb_hooked):
    FlowFactory(source_connection=fb_hooked, source_object="payment")
    OrmQ.objects.all().delete()
    for i in range(5):
        assert deliver(client, fb_hooked, 100 + i).status_code == 200
    assert route_tasks() == 1 and RouteWakeup.objects.get(connection=fb_hooked).queued
    # the task clears the flag before it reads: deliveries after that queue the next task
    assert inbound_events_route_pending(connection_id=fb_hooked.pk) == 5
    assert not RouteWakeup.objects.get(connection=fb_hooked).queued
    deliver(client, fb_hooked, 200)
    assert route_tasks() == 2
    assert SyncItem.objects.count() == 5


def test_deletes_and_repeats_route_as_what_they_are(client, fb_hooked):
    FlowFactory(source_connection=fb_hooked, source_object="payment")
    deliver(client, fb_hooked, 300, name="payment.delete")
    assert deliver(client, fb_hooked, 300, name="payment.delete").json()["new"] == 0  # FreshBooks' repeat
    deliver(client, fb_hooked, 301, name="payment.archived")  # not a change to sync
    inbound_events_route_pending(connection_id=fb_hooked.pk)
    assert list(SyncItem.objects.values_list("source_id", "action")) == [("300", "delete")]
    ignored = InboundEvent.objects.get(object_id="301")
    assert ignored.status == "ignored" and "not a create, update or delete" in ignored.detail


def test_an_event_no_flow_reads_is_kept_and_says_so(client, fb_hooked):
    deliver(client, fb_hooked, 400, name="expense.create")
    inbound_events_route_pending(connection_id=fb_hooked.pk)
    event = InboundEvent.objects.get(object_id="400")
    assert (event.status, event.detail) == ("ignored", "No enabled flow reads this kind of event.")


def test_a_lost_route_task_is_made_good_by_the_sweeper(client, fb_hooked):
    FlowFactory(source_connection=fb_hooked, source_object="payment")
    deliver(client, fb_hooked, 500)
    OrmQ.objects.all().delete()  # the route task never reached a worker
    deliver(client, fb_hooked, 501)
    assert route_tasks() == 0  # the flag still says a task is queued: nothing new is sent
    assert sync_items_dispatch_due()["events_routed"] == 0  # not stale yet
    later = timezone.now() + timedelta(seconds=61)
    assert sync_items_dispatch_due(now=later)["events_routed"] == 2
    assert set(SyncItem.objects.values_list("source_id", flat=True)) == {"500", "501"}
    assert not RouteWakeup.objects.get(connection=fb_hooked).queued
    deliver(client, fb_hooked, 502)
    assert route_tasks() == 1  # and the next delivery queues a task again


def test_dispatch_sends_only_for_the_caller_that_set_the_flag():
    connection = ConnectionFactory()
    OrmQ.objects.all().delete()
    assert inbound_events_dispatch(connection_id=connection.pk) is True
    assert inbound_events_dispatch(connection_id=connection.pk) is False
    assert route_tasks() == 1


def test_routing_one_connection_leaves_the_others_waiting():
    a, b = ConnectionFactory(), ConnectionFactory()
    for connection in (a, b):
        inbound_event_store(connection=connection, dedupe_key="same", object_type="invoice", object_id="1")
    assert inbound_events_route_pending(connection_id=a.pk) == 1
    assert InboundEvent.objects.get(connection=b).status == "received"


class TestConnectionCache:
    @pytest.fixture(autouse=True)
    def cache_on(self, settings):
        settings.WEBHOOK_CONNECTION_CACHE_SECONDS = 60
        webhook_connections._CACHE.clear()
        yield
        webhook_connections._CACHE.clear()

    def test_a_burst_reads_the_connection_once(self, client, fb_hooked):
        deliver(client, fb_hooked, 1)
        with CaptureQueriesContext(db) as queries:
            deliver(client, fb_hooked, 2)
        assert not any("integrations_connection" in q["sql"] for q in queries.captured_queries)

    def test_a_rotated_verifier_is_read_fresh_before_rejecting(self, client, fb_hooked):
        assert deliver(client, fb_hooked, 1).status_code == 200
        fb_hooked.set_secrets(webhook_verifiers={"7": "a-brand-new-verifier-abcdef"})
        fb_hooked.save()
        assert deliver(client, fb_hooked, 2, verifier="a-brand-new-verifier-abcdef").status_code == 200
        response = deliver(client, fb_hooked, 3)  # the old verifier: refused on the fresh copy
        assert response.status_code == 401 and "does not match" in response.json()["error"]

    def test_a_changed_account_is_read_fresh_before_answering(self, client, fb_hooked):
        assert deliver(client, fb_hooked, 1).status_code == 200
        fb_hooked.settings = {"account_id": "ACC2"}
        fb_hooked.save()
        assert deliver(client, fb_hooked, 2, account="ACC2").status_code == 200
        assert deliver(client, fb_hooked, 3, account="ACC1").status_code == 400

    def test_rejections_are_counted_apart_from_the_connection_row(self, client, fb_hooked):
        assert deliver(client, fb_hooked, 1).status_code == 200
        fb_hooked.api_usage = {"calls": 41}
        fb_hooked.save()  # meanwhile, another counter moved
        assert deliver(client, fb_hooked, 2, verifier="wrong-verifier-0000000000").status_code == 401
        assert deliver(client, fb_hooked, 3, verifier="wrong-verifier-0000000000").status_code == 401
        fb_hooked.refresh_from_db()
        assert fb_hooked.api_usage == {"calls": 41}
        assert webhook_rejections(connection_id=fb_hooked.pk) == {"signature": 2}


def test_a_batch_marks_its_events_in_two_updates(client, fb_hooked):
    FlowFactory(source_connection=fb_hooked, source_object="payment")
    for i in range(4):
        deliver(client, fb_hooked, 600 + i)
        deliver(client, fb_hooked, 700 + i, name="client.create")  # no flow reads clients
    with CaptureQueriesContext(db) as queries:
        assert inbound_events_route_pending(connection_id=fb_hooked.pk) == 8
    marks = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "integrations_inboundevent"')]
    assert len(marks) == 2, marks
    assert InboundEvent.objects.filter(status="processed").count() == 4
    assert InboundEvent.objects.filter(status="ignored", detail__startswith="No enabled flow").count() == 4


def test_a_connection_made_without_its_routing_row_gets_it_from_the_sweeper(client, fb_hooked):
    FlowFactory(source_connection=fb_hooked, source_object="payment")
    RouteWakeup.objects.filter(connection=fb_hooked).delete()  # as after a bulk_create
    deliver(client, fb_hooked, 800)
    assert route_tasks() == 0  # no row to flip: the event waits for the sweeper
    assert sync_items_dispatch_due(now=timezone.now() + timedelta(seconds=61))["events_routed"] == 1
    assert RouteWakeup.objects.filter(connection=fb_hooked, queued=False).exists()
    deliver(client, fb_hooked, 801)
    assert route_tasks() == 1


@pytest.fixture
def reused_connection_unchecked(monkeypatch):
    """The database connection as a request on a reused connection finds it under CONN_HEALTH_CHECKS
    (the test client keeps Django's per-request reset out), with its health checks counted."""
    checks = []
    is_usable = db.is_usable

    def counted():
        checks.append(1)
        return is_usable()

    monkeypatch.setattr(db, "is_usable", counted)

    def arm():
        db.ensure_connection()
        db.health_check_enabled, db.health_check_done = True, False
        checks.clear()
    return arm, checks


@pytest.mark.django_db(transaction=True)  # a request starts outside any transaction
def test_a_delivery_on_a_reused_connection_checks_it_by_its_insert(client, fb_hooked, reused_connection_unchecked,
                                                                  settings):
    settings.WEBHOOK_CONNECTION_CACHE_SECONDS = 60  # the connection row read once (production keeps it 5 s)
    webhook_connections._CACHE.clear()
    arm, checks = reused_connection_unchecked
    deliver(client, fb_hooked, 1)
    arm()
    with CaptureQueriesContext(db) as queries:
        assert deliver(client, fb_hooked, 2).status_code == 200
    assert checks == [] and [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT", "UPDATE"]


@pytest.mark.skipif(db.vendor != "postgresql", reason="a server connection to cut: PostgreSQL (SQLite has none)")
@pytest.mark.django_db(transaction=True)
def test_a_delivery_on_a_connection_the_server_dropped_is_stored_on_a_new_one(client, fb_hooked,
                                                                               reused_connection_unchecked):
    import psycopg

    arm, checks = reused_connection_unchecked
    deliver(client, fb_hooked, 1)
    arm()
    params = db.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k not in ("cursor_factory", "context")},
                         autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [db.connection.info.backend_pid])
    response = deliver(client, fb_hooked, 2)
    assert response.status_code == 200 and response.json() == {"received": 1, "new": 1}
    assert checks == [1]  # asked only once the INSERT had failed
    assert InboundEvent.objects.filter(connection=fb_hooked, object_id="2").count() == 1
    assert RouteWakeup.objects.get(connection=fb_hooked).queued is True

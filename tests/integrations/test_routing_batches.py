"""Routing a burst in batches (sync_items_enqueue): one open item per record and flow, as one by one would."""
import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ

from integrations.models import InboundEvent, SyncItem
from integrations.sync.items import Trigger, sync_items_enqueue
from integrations.sync.routing import inbound_events_route_pending
from tests.factories import FlowFactory, InboundEventFactory, SyncItemFactory

pytestmark = pytest.mark.django_db
PROCESS = "integrations.tasks.sync_item_process"


def _tasks() -> list[int]:
    return sorted(row.task["args"][0] for row in OrmQ.objects.all() if row.task["func"] == PROCESS)


def _burst(flow, object_ids):
    return [InboundEventFactory(connection=flow.source_connection, object_type=flow.source_object, object_id=oid,
                                event_type="payment.updated", received_at=timezone.now())
            for oid in object_ids]


def test_a_burst_with_repeats_in_one_batch_routes_to_one_item_per_record_and_flow():
    flow = FlowFactory(source_object="payment")
    second = FlowFactory(source_object="payment", source_connection=flow.source_connection)
    OrmQ.objects.all().delete()
    ids = [f"P{i % 40}" for i in range(100)]  # 40 records, each two or three times, all in one batch
    events = _burst(flow, ids)

    assert inbound_events_route_pending(connection_id=flow.source_connection_id, limit=500) == 100

    for f in (flow, second):
        items = SyncItem.objects.filter(flow=f)
        assert items.count() == 40
        assert sorted(items.values_list("source_id", flat=True)) == sorted(set(ids))
    last = {e.object_id: e for e in events}  # the newest event of each record is the item's hint
    first = {}
    for e in events:
        first.setdefault(e.object_id, e)
    for item in SyncItem.objects.filter(flow=flow):
        assert item.inbound_event_id == last[item.source_id].pk
        assert item.hint == {"event_type": "payment.updated", "event_id": last[item.source_id].pk}
        assert item.received_at == first[item.source_id].received_at
    assert _tasks() == sorted(SyncItem.objects.values_list("pk", flat=True))  # one task per item, no more
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_batch_boundaries_and_items_already_open_fold_instead_of_duplicating():
    flow = FlowFactory(source_object="payment")
    open_item = SyncItemFactory(flow=flow, source_object="payment", source_id="P1", status="retrying")
    running = SyncItemFactory(flow=flow, source_object="payment", source_id="P2", status="running")
    OrmQ.objects.all().delete()
    events = _burst(flow, ["P1", "P2", "P3", "P3", "P1", "P3", "P2"])

    assert inbound_events_route_pending(connection_id=flow.source_connection_id, limit=3) == 7

    open_items = SyncItem.objects.filter(flow=flow, status__in=SyncItem.OPEN_STATUSES)
    assert sorted(open_items.values_list("source_id", flat=True)) == ["P1", "P2", "P3"]
    open_item.refresh_from_db()
    assert open_item.status == "retrying" and open_item.inbound_event_id == events[4].pk  # folded, not replaced
    assert SyncItem.objects.get(pk=running.pk).status == "running"  # a running item gets a new pending one
    new = open_items.exclude(pk=open_item.pk)
    assert _tasks() == sorted(new.values_list("pk", flat=True))  # the folded item was queued already


def test_a_batch_costs_a_handful_of_statements_not_some_per_event():
    flow = FlowFactory(source_object="payment")
    _burst(flow, [f"P{i}" for i in range(200)])
    with CaptureQueriesContext(db) as queries:
        inbound_events_route_pending(connection_id=flow.source_connection_id, limit=500)
    assert SyncItem.objects.count() == 200
    assert len(queries.captured_queries) < 20, [q["sql"][:80] for q in queries.captured_queries]


def test_an_item_opened_elsewhere_between_read_and_insert_is_folded_into(monkeypatch):
    """What ``INSERT … ON CONFLICT DO NOTHING`` skipped is selected again and folded into."""
    from integrations.sync import items as items_module

    flow = FlowFactory(source_object="payment")
    event = _burst(flow, ["P9"])[0]
    real = items_module._items_insert

    def racing(pairs):  # another process opens the item just before our INSERT
        SyncItemFactory(flow=flow, source_object="payment", source_id="P9", hint={"other": True})
        return real(pairs)

    monkeypatch.setattr(items_module, "_items_insert", racing)
    OrmQ.objects.all().delete()
    created = sync_items_enqueue(triggers=[Trigger(flow=flow, source_object="payment", source_id="P9",
                                                   hint={"event_id": event.pk}, inbound_event_id=event.pk)])

    assert created == []  # not ours: folded into, and not dispatched again
    item = SyncItem.objects.get()
    assert item.hint == {"event_id": event.pk} and item.inbound_event_id == event.pk
    assert _tasks() == []


def test_a_batch_of_tasks_reaches_a_redis_broker_as_django_q2_reads_them(settings):
    """One RPUSH of packs made by django-q2 itself: its Redis broker dequeues and unpacks each."""
    import os

    import redis
    from django_q.brokers.redis_broker import Redis
    from django_q.signing import SignedPackage

    from integrations.sync import queue

    broker = Redis.__new__(Redis)
    broker.list_key = f"ledgerlink-test-batch-{os.getpid()}"
    broker.connection = redis.Redis.from_url(os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15"))
    broker.connection.delete(broker.list_key)
    packs = [queue.task_pack(PROCESS, (pk,), task_name=f"sync-item-{pk}", group="g") for pk in (7, 8, 9)]
    try:
        queue._packs_send(broker, packs)
        got = [SignedPackage.loads(broker.dequeue()[0][1]) for _ in range(3)]
    finally:
        broker.connection.delete(broker.list_key)
    assert [(t["func"], t["args"], t["name"], t["group"]) for t in got] == [
        (PROCESS, (pk,), f"sync-item-{pk}", "g") for pk in (7, 8, 9)]


def test_a_pack_is_what_async_task_would_have_pushed():
    from django_q.signing import SignedPackage
    from django_q.tasks import async_task

    from integrations.sync import queue

    class Keep:
        list_key = "k"
        packs = []

        def enqueue(self, pack):
            self.packs.append(pack)

    async_task(PROCESS, 5, task_name="sync-item-5", group="flow-a", broker=Keep())
    theirs = SignedPackage.loads(Keep.packs[0])
    ours = SignedPackage.loads(queue.task_pack(PROCESS, (5,), task_name="sync-item-5", group="flow-a"))
    for task in (theirs, ours):
        assert task.pop("id") and task.pop("started")
    assert ours == theirs

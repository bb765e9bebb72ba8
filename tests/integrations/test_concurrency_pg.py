"""Real processes on PostgreSQL: the binding lock, and a real qcluster completing work."""
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode
import os
from pathlib import Path

import pytest
import requests
from django.db import connections
from django.utils import timezone

from integrations.connectors.freshbooks.webhooks import SIGNATURE_HEADER, signature_compute
from integrations.models import InboundEvent, SyncItem
from integrations.sync.items import sync_item_enqueue
from tests.cluster import qcluster, wait_until
from tests.factories import ConnectionFactory, FlowFactory
from tests.integrations.handlers import target_writes

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _worker(item_id, results):
    connections.close_all()  # a forked child must not share the parent's socket
    from integrations.sync.engine import sync_item_process

    results.put((item_id, sync_item_process(item_id=item_id)))
    connections.close_all()


def test_two_workers_on_one_binding_write_once(tmp_path, pg_only):
    barrier = str(tmp_path / "release")
    flow = FlowFactory(settings={"records": {"001A": {"Name": "Acme"}}, "barrier": barrier})
    # Two different work items (e.g. a webhook and a resync of another step) for the same record.
    first, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    second, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", step="resync", dispatch=False)
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    holder = ctx.Process(target=_worker, args=(first.pk, results))
    holder.start()
    wait_until(lambda: os.path.exists(barrier + ".entered"), timeout=60, what="first worker inside create()")
    contender = ctx.Process(target=_worker, args=(second.pk, results))
    contender.start()
    contender.join(60)
    Path(barrier).touch()
    holder.join(60)
    outcomes = dict(results.get(timeout=5) for _ in range(2))
    # the contender waited SYNC_LOCK_WAIT_SECONDS, then went back to the queue: no attempt, no failure shown
    assert outcomes == {first.pk: "succeeded", second.pk: "pending"}
    second.refresh_from_db()
    assert (second.attempts, second.last_error, second.attempts_log.count()) == (0, "", 0)
    # the retry finds the binding the first worker made: still exactly one remote record
    SyncItem.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now())
    _worker(second.pk, results)
    assert results.get(timeout=5) == (second.pk, "succeeded")
    assert target_writes("create", "001A") == 1


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_real_qcluster_completes_a_sync_item(broker, pg_only, tmp_path):
    flow = FlowFactory(settings={"records": {"001Q": {"Name": "Queue Co"}}})
    with qcluster(tmp_path / "qcluster.log", broker=broker, workers=1):
        item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001Q")
        wait_until(lambda: SyncItem.objects.get(pk=item.pk).status == "succeeded",
                   what=f"the {broker} cluster to complete the item")
        assert target_writes("create", "001Q") == 1
        assert SyncItem.objects.get(pk=item.pk).attempts_log.get().worker  # ran in the cluster's process


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_burst_of_webhooks_is_routed_by_route_tasks_alone(broker, pg_only, tmp_path, live_server):
    """Concurrent deliveries while the cluster routes: none is stranded between the routing
    flag and the task (the sweeper never runs here: no schedules exist in this database)."""
    connection = ConnectionFactory(system="freshbooks", settings={"account_id": "BURST"})
    connection.set_secrets(webhook_verifiers={"1": "burst-verifier-0123456789"})
    connection.save()
    # No flow reads payments: routing marks each event, and the cluster runs route tasks only.
    url = f"{live_server.url}/api/webhooks/freshbooks/{connection.pk}/"

    def send(i):
        params = [("name", "payment.update"), ("object_id", str(i)), ("account_id", "BURST")]
        headers = {SIGNATURE_HEADER: signature_compute("burst-verifier-0123456789", params),
                   "Content-Type": "application/x-www-form-urlencoded"}
        return requests.post(url, data=urlencode(params), headers=headers, timeout=30).status_code

    with qcluster(tmp_path / "qcluster.log", broker=broker, workers=1), ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(240)))
        assert statuses == [200] * 240
        wait_until(lambda: not InboundEvent.objects.filter(status="received").exists(),
                   what="every delivered event to be routed")
    assert InboundEvent.objects.filter(status="ignored", detail__startswith="No enabled flow").count() == 240


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_routed_burst_is_run_by_a_real_cluster_from_batched_task_rows(broker, pg_only, tmp_path):
    """Routing writes a batch's tasks at once (a multi-row INSERT of task rows, or one RPUSH):
    a real cluster on either broker reads each of them and runs every item once."""
    from integrations.sync.routing import inbound_events_route_pending

    ids = [f"001B{i:03d}" for i in range(30)]
    flow = FlowFactory(settings={"records": {sid: {"Name": f"Batch {sid}"} for sid in ids}})
    for n, sid in enumerate(ids + ids[:5]):  # five records twice in the burst: still one item each
        InboundEvent.objects.create(connection=flow.source_connection, dedupe_key=f"b-{n}", object_type="Account",
                                    object_id=sid, event_type="account.updated")
    with qcluster(tmp_path / "qcluster.log", broker=broker, workers=2):
        assert inbound_events_route_pending(connection_id=flow.source_connection_id, limit=10) == 35
        wait_until(lambda: SyncItem.objects.filter(flow=flow, status="succeeded").count() == 30,
                   what=f"the {broker} cluster to run every routed item")
    assert SyncItem.objects.filter(flow=flow).count() == 30
    assert all(target_writes("create", sid) == 1 for sid in ids)

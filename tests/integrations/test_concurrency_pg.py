"""Real processes on PostgreSQL: the binding lock, and a real qcluster completing work."""
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlencode
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connections
from django.utils import timezone

from integrations.connectors.freshbooks.webhooks import SIGNATURE_HEADER, signature_compute
from integrations.models import InboundEvent, SyncItem
from integrations.sync.items import sync_item_enqueue
from tests.factories import ConnectionFactory, FlowFactory
from tests.integrations.handlers import target_writes
from tests.processes import process_group_stop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


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
    wait_for(lambda: os.path.exists(barrier + ".entered"), what="first worker inside create()")
    contender = ctx.Process(target=_worker, args=(second.pk, results))
    contender.start()
    contender.join(60)
    Path(barrier).touch()
    holder.join(60)
    outcomes = dict(results.get(timeout=5) for _ in range(2))
    assert outcomes == {first.pk: "succeeded", second.pk: "retrying"}
    second.refresh_from_db()
    assert "Another worker is already syncing this record" in second.last_error
    # the retry finds the binding the first worker made: still exactly one remote record
    SyncItem.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now())
    _worker(second.pk, results)
    assert results.get(timeout=5) == (second.pk, "succeeded")
    assert target_writes("create", "001A") == 1


def _cluster_env(broker):
    db = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "Q_WORKERS": "1", "Q_POLL": "0.1", "Q_NAME": f"test-{broker}-{os.getpid()}"}
    env.pop("REDIS_URL", None)
    if broker == "redis":
        env["REDIS_URL"] = os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15")
    return env


@contextmanager
def qcluster(broker, settings, tmp_path):
    """A real ``manage.py qcluster`` on this test database; this process enqueues to it."""
    env = _cluster_env(broker)
    if broker == "redis":
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": env["REDIS_URL"], "name": env["Q_NAME"]}
        settings.Q_CLUSTER.pop("orm", None)
    else:
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "name": env["Q_NAME"]}
    from django_q.conf import Conf

    saved = {k: getattr(Conf, k) for k in ("ORM", "REDIS", "PREFIX", "CLUSTER_NAME", "Q_STAT")}
    Conf.ORM, Conf.REDIS = settings.Q_CLUSTER.get("orm"), settings.Q_CLUSTER.get("redis")
    Conf.PREFIX = Conf.CLUSTER_NAME = env["Q_NAME"]
    Conf.Q_STAT = f"django_q:{Conf.PREFIX}:cluster"
    log = open(tmp_path / "qcluster.log", "w+")
    # start_new_session: the cluster's worker processes can be stopped as one group.
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield log
    finally:
        process_group_stop(cluster)
        for key, value in saved.items():
            setattr(Conf, key, value)


def wait_for_cluster(log, predicate, what, timeout=90):
    try:
        wait_for(predicate, timeout=timeout, what=what)
    except AssertionError:
        log.seek(0)
        raise AssertionError(f"timed out waiting for {what}:\n" + log.read()[-3000:]) from None


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_real_qcluster_completes_a_sync_item(broker, settings, pg_only, tmp_path):
    flow = FlowFactory(settings={"records": {"001Q": {"Name": "Queue Co"}}})
    with qcluster(broker, settings, tmp_path) as log:
        item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001Q")
        wait_for_cluster(log, lambda: SyncItem.objects.get(pk=item.pk).status == "succeeded",
                         f"the {broker} cluster to complete the item")
        assert target_writes("create", "001Q") == 1
        assert SyncItem.objects.get(pk=item.pk).attempts_log.get().worker  # ran in the cluster's process


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_burst_of_webhooks_is_routed_by_route_tasks_alone(broker, settings, pg_only, tmp_path, live_server):
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

    with qcluster(broker, settings, tmp_path) as log, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(240)))
        assert statuses == [200] * 240
        wait_for_cluster(log, lambda: not InboundEvent.objects.filter(status="received").exists(),
                         "every delivered event to be routed")
    assert InboundEvent.objects.filter(status="ignored", detail__startswith="No enabled flow").count() == 240

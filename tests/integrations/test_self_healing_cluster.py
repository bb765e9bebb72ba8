"""Workers that heal themselves (issue 17): a real supervised cluster (``manage.py ledgerlink_worker``)
on PostgreSQL, each of its processes SIGKILLed in turn, on both brokers.

After each kill, deliveries (items enqueued to the broker, as a webhook's route does) must be
processed within 60 s: nothing lost (every item succeeded) and nothing duplicated (one remote
create and one successful attempt per item). The worst kill is the idle worker waiting on
django-q2's task queue: it holds that queue's read lock, so without the supervisor every later task
waits forever. One cluster per broker serves every role (a cluster start costs seconds); the wedge
timeout is short here (WORKER_WEDGE_SECONDS) so the test spends seconds, not the default 20 s.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from integrations.models import ClusterHeartbeat, SyncItem
from integrations.selectors import cluster_heartbeat_status
from integrations.sync.items import sync_item_enqueue
from monitoring.models import SyncAttempt
from tests.cluster import (ROOT, cluster_env, cluster_processes, process_alive, process_descendants, qcluster,
                           wait_until)
from tests.factories import FlowFactory
from tests.integrations.handlers import target_writes

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

Q_TIMEOUT = 10  # the cluster's task timeout, and so its SIGTERM budget
CLUSTER_ENV = {
    "Q_LOG_LEVEL": "INFO",  # django-q2 logs each process's role and pid: the test finds whom to kill
    "Q_TIMEOUT": str(Q_TIMEOUT),
    "WORKER_WEDGE_SECONDS": "3",
    "WORKER_SWEEP_SECONDS": "1",
    "WORKER_HEARTBEAT_SECONDS": "1",
    # The sweeper's resend of lost tasks must not be what saves a delivery here: the supervisor must.
    "SYNC_ENQUEUE_LOST_SECONDS": "600",
}
PROMISE_SECONDS = 60
ROLES = ["idle worker", "busy worker", "pusher", "monitor", "sentinel", "cluster leader"]
PER_KILL = 3  # deliveries after each kill


def _settled(cluster):
    """The cluster (or its replacement) runs with every role, and nothing waits inside it."""
    procs = cluster_processes(cluster)
    if procs is None or len(procs.workers) != 2 or not procs.monitor or not procs.pusher:
        return None
    if any((procs.ledger / folder).exists() and any((procs.ledger / folder).iterdir()) for folder in ("pulled", "done")):
        return None
    return procs


def _kill(cluster, role: str, holder_flow, barrier: Path) -> int:
    """SIGKILL the process playing ``role``; returns its pid."""
    procs = None

    def ready():
        nonlocal procs
        procs = _settled(cluster)
        return procs is not None and (role != "idle worker" or procs.queue_reader())

    wait_until(ready, timeout=PROMISE_SECONDS, what=f"a running cluster to kill the {role} of")
    if role == "busy worker":
        sync_item_enqueue(flow=holder_flow, source_object="Account", source_id="HOLD")
        wait_until(lambda: Path(f"{barrier}.entered").exists() and procs.busy_workers(),
                   what="a worker busy with the held item")
        pid = procs.busy_workers()[0]
        barrier.touch()  # its retry, after the lease, passes
    else:
        pid = {"idle worker": procs.queue_reader, "pusher": lambda: procs.pusher, "monitor": lambda: procs.monitor,
               "sentinel": lambda: procs.sentinel, "cluster leader": lambda: procs.leader}[role]()
    os.kill(pid, signal.SIGKILL)
    return pid


def _processed_once(items) -> bool:
    return SyncItem.objects.filter(pk__in=[i.pk for i in items], status="succeeded").count() == len(items)


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_any_process_of_the_cluster_sigkilled_processing_resumes_within_60_s(broker, pg_only, tmp_path):
    ids = [f"{role}-{n}" for role in ROLES for n in range(PER_KILL)]
    flow = FlowFactory(settings={"records": {i: {"Name": i} for i in ids}})
    barrier = tmp_path / "release"
    holder = FlowFactory(source_connection=flow.source_connection,
                         settings={"records": {"HOLD": {"Name": "Held"}}, "barrier": str(barrier)})
    delivered, took = [], {}
    with qcluster(tmp_path / "cluster.log", broker=broker, workers=2, env_extra=CLUSTER_ENV) as cluster:
        for role in ROLES:
            _kill(cluster, role, holder, barrier)
            killed_at = time.monotonic()
            items = [sync_item_enqueue(flow=flow, source_object="Account", source_id=f"{role}-{n}")[0]
                     for n in range(PER_KILL)]
            delivered += items
            wait_until(lambda batch=items: _processed_once(batch), timeout=PROMISE_SECONDS,
                       what=f"{PER_KILL} deliveries after SIGKILL of the {role} ({broker} broker)")
            took[role] = time.monotonic() - killed_at
        held = SyncItem.objects.get(flow=holder, source_id="HOLD")
        wait_until(lambda: SyncItem.objects.filter(pk=held.pk, status="succeeded").exists(), timeout=PROMISE_SECONDS,
                   what="the item whose worker was killed (its lease, 80 s here, must not be waited out)")
        # Healthy again within the promise: a restart still under way (the supervisor reports "wedged" while it
        # replaces a cluster that stopped making progress, e.g. on tasks a dead pusher left) must end.
        wait_until(lambda: cluster_heartbeat_status()["state"] == "ok", timeout=PROMISE_SECONDS,
                   what=f"the cluster reported healthy ({broker} broker)")
        restarts = ClusterHeartbeat.objects.get().restarts
    assert _processed_once(delivered)
    for item in delivered:  # nothing duplicated: one remote record, one successful attempt each
        assert target_writes("create", item.source_id) == 1, item.source_id
        assert SyncAttempt.objects.filter(sync_item=item, outcome="succeeded").count() == 1, item.source_id
    assert target_writes("create", "HOLD") == 1
    assert restarts >= 3, "the idle worker's, the sentinel's and the leader's death each need a new cluster"
    print(f"{broker}: seconds from SIGKILL to {PER_KILL} deliveries processed: "
          + ", ".join(f"{r} {s:.1f}" for r, s in took.items()))


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_sigterm_stops_the_supervisor_and_its_cluster_within_q_timeout_finishing_the_task_in_hand(
        broker, pg_only, tmp_path):
    barrier = tmp_path / "release"
    flow = FlowFactory(settings={"records": {"A": {"Name": "Acme"}}, "barrier": str(barrier)})
    with qcluster(tmp_path / "cluster.log", broker=broker, workers=2, env_extra=CLUSTER_ENV) as cluster:
        item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="A")
        wait_until(lambda: Path(f"{barrier}.entered").exists(), what="a worker busy with the item")
        procs = cluster_processes(cluster)
        cluster.process.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        time.sleep(1)  # the task in hand takes one more second (the remote system's answer)
        barrier.touch()
        wait_until(lambda: cluster.process.poll() is not None and _group_gone(procs.leader), timeout=Q_TIMEOUT + 5,
                   what="the supervisor and its cluster to stop")
        stopped = time.monotonic() - asked
        assert stopped < Q_TIMEOUT, f"stopped after {stopped:.1f} s; Q_TIMEOUT is {Q_TIMEOUT} s"
        assert cluster.process.returncode == 0
    item.refresh_from_db()
    assert item.status == "succeeded"  # finished, not abandoned mid-way
    assert ClusterHeartbeat.objects.get().state == "stopped"


def test_ledgerlink_serve_stops_on_sigterm_within_q_timeout(pg_only, tmp_path):
    # `make run`: web server, supervised cluster and subscriber; SIGTERM stops all of them
    env = cluster_env(name=f"serve-{os.getpid()}", broker="orm", workers=1, env_extra=CLUSTER_ENV)
    env["SANDBOX_ENABLED"] = "false"
    port = 8500 + os.getpid() % 100
    with open(tmp_path / "serve.log", "w+") as log:
        serve = subprocess.Popen([sys.executable, "manage.py", "ledgerlink_serve", "--port", str(port)], cwd=ROOT,
                                 env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            # web server, supervisor, subscriber; the cluster (in a session of its own): leader, sentinel,
            # worker, monitor, pusher
            wait_until(lambda: " running." in Path(log.name).read_text() and len(process_descendants(serve.pid)) >= 8,
                       timeout=60, what="ledgerlink_serve and its cluster to start")
            started = [serve.pid] + process_descendants(serve.pid)
            serve.send_signal(signal.SIGTERM)
            asked = time.monotonic()
            wait_until(lambda: serve.poll() is not None and not any(process_alive(p) for p in started),
                       timeout=Q_TIMEOUT + 10,
                       what="ledgerlink_serve and everything it started to stop")
            stopped = time.monotonic() - asked
        finally:
            try:
                os.killpg(serve.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            serve.wait()
        print(f"ledgerlink_serve stopped {stopped:.1f} s after SIGTERM")
        assert stopped < Q_TIMEOUT, f"stopped after {stopped:.1f} s:\n{Path(log.name).read_text()[-3000:]}"
    assert ClusterHeartbeat.objects.get().state == "stopped"

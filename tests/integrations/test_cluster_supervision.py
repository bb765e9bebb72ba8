"""The supervisor's parts in one process: the task ledger, the wedge verdict, lost-task recovery and
the heartbeat status /readyz reads. The real processes and signals: test_self_healing_cluster.py."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from integrations.cluster.ledger import LedgerSnapshot, TaskLedger
from integrations.cluster.recovery import lost_tasks_recover, pusher_death_recover
from integrations.cluster.verdict import cluster_wedged
from integrations.models import ClusterHeartbeat, SyncItem
from integrations.selectors import cluster_heartbeat_status
from integrations.sync.items import sync_item_enqueue
from tests.factories import FlowFactory

pytestmark = pytest.mark.django_db


def snapshot(**kw) -> LedgerSnapshot:
    return LedgerSnapshot(**{"waiting": 0, "unsaved": 0, "busy": 0, "last_progress": None, "oldest_waiting": None,
                             **kw})


@pytest.mark.parametrize("case, kw, wedged", [
    ("nothing waiting", {}, False),
    ("a task waits, idle workers, long stall", {"waiting": 1, "oldest_waiting": 100.0, "last_progress": 50.0}, True),
    ("a task waits, but a worker is busy", {"waiting": 1, "busy": 1, "oldest_waiting": 100.0}, False),
    ("a task arrived just now after an idle hour", {"waiting": 1, "oldest_waiting": 128.0, "last_progress": 0.0},
     False),
    ("progress since the task arrived", {"waiting": 1, "oldest_waiting": 100.0, "last_progress": 125.0}, False),
    ("results the monitor never saved", {"unsaved": 2, "oldest_waiting": 100.0, "last_progress": 101.0}, True),
])
def test_wedged_only_with_work_waiting_no_worker_busy_and_no_progress(case, kw, wedged):
    reason = cluster_wedged(snapshot(**kw), now=130.0, wedge_seconds=20)
    assert bool(reason) is wedged, case


def _payload(task_id: str) -> str:
    return SignedPackage.dumps({"id": task_id, "name": task_id, "func": "math.copysign", "args": (1, 2),
                                "kwargs": {}, "started": timezone.now()})


def test_the_ledger_sends_unstarted_tasks_again_and_acknowledges_unsaved_ones(tmp_path):
    ledger, broker = TaskLedger(tmp_path / "run").create(), get_broker()
    # what the pusher took from the ORM broker: three tasks, now locked there
    ack = {name: broker.enqueue(_payload(name)) for name in ("never-started", "finished", "saved")}
    OrmQ.objects.update(lock=timezone.now() + timedelta(hours=1))
    for name in ack:
        ledger.task_pulled(ack_id=ack[name], payload=OrmQ.objects.get(pk=ack[name]).payload)
    for name in ("finished", "saved"):
        ledger.task_started(task={"id": SignedPackage.loads(OrmQ.objects.get(pk=ack[name]).payload)["id"],
                                  "func": "math.copysign", "args": (1, 2), "ack_id": ack[name]})
        ledger.task_finished(task_id=name, ack_id=ack[name])
    ledger.result_saved(task_id="saved")
    OrmQ.objects.filter(pk=ack["saved"]).delete()  # the monitor acknowledged it
    seen = ledger.snapshot()
    assert (seen.waiting, seen.unsaved, seen.busy) == (1, 1, 0)

    resent, acked, lost = ledger.release(broker)
    assert (resent, acked, lost) == (1, 1, [])
    rows = list(OrmQ.objects.all())
    assert len(rows) == 1 and rows[0].pk not in ack.values()  # sent again as a new, unlocked message
    assert SignedPackage.loads(rows[0].payload)["id"] == "never-started"
    assert rows[0].lock <= timezone.now()


def test_tasks_that_died_with_their_worker_are_queued_again_at_once(tmp_path):
    flow = FlowFactory(settings={"records": {"001A": {"Name": "Acme"}, "001B": {"Name": "Beta"}}})
    running, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    unclaimed, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001B", dispatch=False)
    later = timezone.now() + timedelta(minutes=10)
    SyncItem.objects.filter(pk=running.pk).update(status="running", attempts=1, lease_expires_at=later)
    ledger = TaskLedger(tmp_path / "run").create()
    for dead_pid, item, task_id in ((4_194_305, running, "t1"), (4_194_306, unclaimed, "t2")):  # above any pid_max
        ledger._write(ledger.busy / str(dead_pid), {"task_id": task_id, "ack_id": None, "args": [item.pk],
                                                    "payload": _payload(task_id),
                                                    "func": "integrations.tasks.sync_item_process"})
    lost = ledger.lost_take()
    assert sorted(entry["task_id"] for entry in lost) == ["t1", "t2"] and ledger.lost_take() == []

    assert lost_tasks_recover(lost, get_broker())["items"] == 1
    running.refresh_from_db()
    assert (running.status, running.last_error_class) == ("retrying", "WorkerLost")  # not waiting out its lease
    sent = sorted(SignedPackage.loads(row.payload)["name"] for row in OrmQ.objects.all())
    assert sent == sorted([f"sync-item-{running.pk}", "t2"])  # the retry, and the unclaimed item's task again


def test_a_dead_pusher_loses_nothing_it_took(tmp_path):
    """Redis pops a task to a pusher SIGKILLed in BLPOP, which never noted it; another it had noted
    but not handed to a worker. The sentinel notes the pusher's replacement; the supervisor sends
    both again at once, not after SYNC_ENQUEUE_LOST_SECONDS, and nothing queued after it."""
    flow = FlowFactory(settings={"records": {"001A": {"Name": "Acme"}, "001B": {"Name": "Beta"}}})
    lost, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A")  # its task goes with the pusher
    OrmQ.objects.all().delete()
    ledger, broker = TaskLedger(tmp_path / "run").create(), get_broker()
    ledger._write(ledger.pulled / "noted", {"ack_id": None, "payload": _payload("noted"), "pid": 4_194_305})
    ledger.task_pulled(ack_id=None, payload=_payload("alive"))  # taken by a pusher that lives (this process)
    assert ledger.pusher_deaths_take() == []
    ledger.pusher_replaced()
    later, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001B", dispatch=False)
    SyncItem.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=1))

    deaths = ledger.pusher_deaths_take()
    assert len(deaths) == 1 and ledger.pusher_deaths_take() == []  # once each
    orphans = ledger.orphan_pulls_take()
    assert [SignedPackage.loads(o["payload"])["id"] for o in orphans] == ["noted"]
    assert pusher_death_recover(deaths=deaths, orphans=orphans, broker=broker) == {"orphans": 1, "redispatched": 1}
    sent = sorted(SignedPackage.loads(row.payload)["name"] for row in OrmQ.objects.all())
    assert sent == sorted(["noted", f"sync-item-{lost.pk}"])
    assert (ledger.pulled / "alive").exists()  # its pusher lives: still on its way to a worker


def _beat(name: str, state: str, age: float, **kw):
    now = timezone.now()
    ClusterHeartbeat.objects.create(name=name, state=state, beat_at=now - timedelta(seconds=age), started_at=now,
                                    **kw)


def test_heartbeat_status_for_readyz(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 5
    assert cluster_heartbeat_status()["state"] == "down"
    _beat("a:1", "running", age=60, waiting=7)  # its supervisor stopped reporting
    status = cluster_heartbeat_status()
    assert status["state"] == "down" and "last heartbeat" in status["detail"]
    _beat("b:2", "wedged", age=1, waiting=3, detail="3 task(s) taken from the broker and not started")
    status = cluster_heartbeat_status()
    assert (status["state"], status["waiting"]) == ("wedged", 3) and "not started" in status["detail"]
    progress = timezone.now() - timedelta(seconds=2)
    _beat("c:3", "running", age=1, last_progress_at=progress)
    status = cluster_heartbeat_status()
    assert (status["state"], status["last_progress_at"], status["waiting"]) == ("ok", progress, 3)
    assert set(status) == {"state", "last_progress_at", "waiting", "detail"}


@pytest.mark.django_db
def test_of_several_supervisors_one_evaluates_the_alerts_each_round_and_another_takes_over():
    """Two machines' supervisors: alert evaluation runs once per round (two at once could send a reminder
    twice); when the one that ran stops, the other runs the round after its lease ends. The sweeper runs on
    both (it frees the locks of each machine's own dead processes)."""
    from integrations.cluster.jobs import job_round
    from integrations.models import SyncLock

    ran = []
    evaluate = lambda: ran.append("alerts")  # noqa: E731
    assert job_round("alert evaluation", evaluate, 30, "machine-a:101:supervisor")
    assert not job_round("alert evaluation", evaluate, 30, "machine-b:202:supervisor")
    assert ran == ["alerts"]
    SyncLock.objects.filter(key="job:alert evaluation").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert job_round("alert evaluation", evaluate, 30, "machine-b:202:supervisor")  # a's lease ended: b runs it
    assert ran == ["alerts", "alerts"]
    sweeps = []
    assert job_round("sweeper", lambda: sweeps.append(1), 30, "machine-a:101:supervisor")
    assert job_round("sweeper", lambda: sweeps.append(1), 30, "machine-b:202:supervisor")
    assert sweeps == [1, 1]

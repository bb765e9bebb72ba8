"""The worker supervisor (``manage.py ledgerlink_worker``): runs django-q2's cluster as a child
process group, watches it, restarts it when it wedges or dies, and stops it on SIGTERM.

- The cluster (``manage.py ledgerlink_cluster``) runs in a session of its own, so stopping it
  means signalling one group, whatever its sentinel left behind.
- Every second the supervisor reads the cluster's task ledger (ledger.py) and applies
  verdict.cluster_wedged; a wedged cluster, or one whose leader exited, is SIGKILLed as a group,
  its never-started tasks are sent to the broker again, and a new cluster starts. Why: a worker
  SIGKILLed while it waits on django-q2's task queue keeps that queue's lock forever.
- The due-time dispatcher, the sweeper and alert evaluation run here, in threads (jobs.py).
- SIGTERM/SIGINT: the cluster gets SIGTERM (its workers finish their task), and whatever is left
  after Q_TIMEOUT less a margin is killed; tasks it had not started go back to the broker.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker

from integrations.cluster.heartbeat import cluster_heartbeat_write
from integrations.cluster.jobs import supervisor_jobs_start
from integrations.cluster.ledger import TaskLedger
from integrations.cluster.recovery import lost_tasks_recover, pusher_death_recover
from integrations.cluster.verdict import cluster_wedged
from integrations.models import ClusterHeartbeat

logger = logging.getLogger(__name__)
State = ClusterHeartbeat.State
STOP_MARGIN_SECONDS = 3  # of Q_TIMEOUT, left for killing, releasing and the heartbeat's last write
QUICK_FAILURE_SECONDS = 10  # a cluster that failed this soon after its start failed starting


def process_group_kill(pgid: int, *, wait: float = 5.0) -> None:
    """SIGKILL every process of the group and wait (bounded) until none is left."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.waitpid(-pgid, os.WNOHANG)  # group members re-parented to us (we may be PID 1)
        except ChildProcessError:
            pass
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


class SupervisedCluster:
    """One run of the cluster: its process group and its ledger."""

    def __init__(self):
        self.ledger = TaskLedger(Path(tempfile.mkdtemp(prefix="ledgerlink-cluster-"))).create()
        self.started_at = timezone.now()
        self.stopped = False
        self.process = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "ledgerlink_cluster", str(self.ledger.root)],
            start_new_session=True,  # its own process group: one signal reaches all of it
        )

    def exited(self) -> int | None:
        return self.process.poll()

    def stop(self, *, grace: float) -> None:
        """SIGTERM (finish the current task), SIGKILL the group after ``grace`` seconds."""
        if self.stopped:
            return
        self.stopped = True
        if grace > 0 and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                logger.warning("The cluster did not stop within %.0f s; killing its processes.", grace)
        process_group_kill(self.process.pid)
        self.process.wait()
        try:
            broker = get_broker()
            resent, acked, lost = self.ledger.release(broker)
            lost_tasks_recover(lost, broker)
        except Exception:  # the database or the broker is down: keep the ledger, the sweeper resends later
            logger.exception("Could not hand the stopped cluster's tasks back to the broker (ledger kept in %s).",
                             self.ledger.root)
            return
        if resent or acked:
            logger.warning("Sent %s task(s) the cluster had not started to the broker again; acknowledged %s "
                           "finished one(s).", resent, acked)
        self.ledger.remove()


class Supervisor:
    def __init__(self):
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self.restarts = 0
        self.quick_failures = 0
        self.cluster: SupervisedCluster | None = None

    def _beat(self, state: str, detail: str = "") -> None:
        snapshot = self.cluster.ledger.snapshot() if self.cluster and self.cluster.ledger.root.exists() else None
        cluster_heartbeat_write(name=self.name, state=state, snapshot=snapshot, restarts=self.restarts,
                                detail=detail, started_at=self.cluster.started_at if self.cluster else timezone.now())

    def _lost_recover(self) -> None:
        """A worker died mid-task (OOM kill, django-q2's timeout): its item goes back to the queue
        now rather than when its lease ends."""
        try:
            lost = self.cluster.ledger.lost_take()
            if lost:
                lost_tasks_recover(lost, get_broker())
        except Exception:  # the database or the broker: the sweeper recovers them after the lease
            logger.exception("Could not recover the tasks of a worker that died.")
        try:
            deaths = self.cluster.ledger.pusher_deaths_take()
            orphans = self.cluster.ledger.orphan_pulls_take() if deaths else []
            if deaths:
                pusher_death_recover(deaths=deaths, orphans=orphans, broker=get_broker())
        except Exception:  # the sweeper resends lost tasks after SYNC_ENQUEUE_LOST_SECONDS
            logger.exception("Could not recover the tasks of a pusher that died.")

    def _problem(self) -> str | None:
        code = self.cluster.exited()
        if code is not None:
            return f"the cluster's process exited (status {code})"
        return cluster_wedged(self.cluster.ledger.snapshot(), now=time.time(),
                              wedge_seconds=settings.WORKER_WEDGE_SECONDS)

    def _restart(self, reason: str) -> None:
        logger.error("Restarting the worker cluster: %s.", reason)
        self._beat(State.WEDGED, reason)
        lived = (timezone.now() - self.cluster.started_at).total_seconds()
        self.cluster.stop(grace=0)  # wedged: nothing to wait for
        self.restarts += 1
        # Clusters that keep failing within seconds of their start (database down?): 1, 2, 4 … 30 s
        # between starts, not a spin; one that ran for a while is replaced at once.
        self.quick_failures = self.quick_failures + 1 if lived < QUICK_FAILURE_SECONDS else 0
        if self.quick_failures:
            self.stopping.wait(min(30.0, float(2 ** (self.quick_failures - 1))))
        if not self.stopping.is_set():
            self.cluster = SupervisedCluster()
            self._beat(State.STARTING, f"restarted: {reason}")

    def run(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())
        threads = supervisor_jobs_start(self.stopping)
        self.cluster = SupervisedCluster()
        self._beat(State.STARTING)
        logger.info("Worker supervisor %s: cluster started (process group %s).", self.name, self.cluster.process.pid)
        last_beat = time.monotonic()
        try:
            while not self.stopping.wait(1.0):
                self._lost_recover()
                reason = self._problem()
                if reason:
                    self._restart(reason)
                    last_beat = time.monotonic()
                elif time.monotonic() - last_beat >= settings.WORKER_HEARTBEAT_SECONDS:
                    self._beat(State.RUNNING)
                    last_beat = time.monotonic()
        finally:
            self.stopping.set()
            self.cluster.stop(grace=max(1.0, settings.Q_TIMEOUT - STOP_MARGIN_SECONDS))
            for thread in threads:
                thread.join(timeout=1.0)
            self._beat(State.STOPPED, "stopped by a signal")
            connection.close()
            logger.info("Worker supervisor %s stopped: cluster, dispatcher, sweeper and alert evaluation.", self.name)

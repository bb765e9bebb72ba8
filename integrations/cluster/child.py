"""The supervised cluster: django-q2's ``Cluster`` whose pusher, workers and monitor write the
task ledger (ledger.py). Runs as ``manage.py ledgerlink_cluster`` in a process group of its own,
started by the supervisor; exits when its sentinel dies so the supervisor starts a new one."""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import time
from pathlib import Path

from django_q.brokers import get_broker
from django_q.cluster import Cluster, Sentinel
from django_q.signals import post_execute, post_execute_in_worker, pre_execute

from integrations.cluster.ledger import TaskLedger

logger = logging.getLogger(__name__)


def broker_recorded(ledger: TaskLedger):
    """The broker the sentinel hands to its pusher, noting each task it takes in the ledger
    before the pusher puts it on the workers' queue."""
    broker = get_broker()
    dequeue = broker.dequeue

    def dequeue_recorded():
        tasks = dequeue()
        for ack_id, payload in tasks or ():
            ledger.task_pulled(ack_id=ack_id, payload=payload)
        return tasks

    broker.dequeue = dequeue_recorded
    return broker


def ledger_signals_connect(ledger: TaskLedger) -> None:
    """Workers and the monitor are forked from this process: they inherit these receivers."""
    def started(sender, task, **kwargs):
        ledger.task_started(task=task)

    def finished(sender, task, **kwargs):
        ledger.task_finished(task_id=task["id"], ack_id=task.get("ack_id"))

    def saved(sender, task, **kwargs):
        ledger.result_saved(task_id=task["id"])

    pre_execute.connect(started, weak=False, dispatch_uid="ledger-started")
    post_execute_in_worker.connect(finished, weak=False, dispatch_uid="ledger-finished")
    post_execute.connect(saved, weak=False, dispatch_uid="ledger-saved")


def pusher_replacement_noted(ledger: TaskLedger) -> None:
    """The sentinel notes in the ledger when it replaces a dead pusher (see ledger.py, deaths/)."""
    reincarnate = Sentinel.reincarnate

    def reincarnate_noted(sentinel, process):
        if process == sentinel.pusher:
            ledger.pusher_replaced()
        return reincarnate(sentinel, process)

    Sentinel.reincarnate = reincarnate_noted


PR_SET_PDEATHSIG = 1  # prctl(2)


def supervisor_death_signal(supervisor_pid: int) -> None:
    """Ask Linux for SIGTERM when the supervisor dies (even by SIGKILL), so the cluster never
    outlives it as an orphan taking tasks; elsewhere this is skipped."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != supervisor_pid:  # it died before the request was in place
        os.kill(os.getpid(), signal.SIGTERM)


def cluster_child_run(ledger_path: Path) -> int:
    """Start the cluster; return when it stopped (SIGTERM: django-q2's own handler) or its
    sentinel died (exit status 1: the supervisor restarts the whole group)."""
    supervisor_death_signal(os.getppid())
    ledger = TaskLedger(ledger_path)
    ledger_signals_connect(ledger)
    pusher_replacement_noted(ledger)  # the sentinel is forked from this process: it inherits the patch
    cluster = Cluster(broker_recorded(ledger))
    cluster.start()  # installs django-q2's SIGTERM/SIGINT handler, which stops the sentinel in order
    while cluster.sentinel.is_alive():
        time.sleep(0.5)  # waiting for the sentinel (join() would block the signal handler's join)
    if cluster.stop_event is not None and not cluster.stop_event.is_set():
        logger.error("The cluster's sentinel died (exit code %s).", cluster.sentinel.exitcode)
        return 1
    return 0

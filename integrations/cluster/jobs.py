"""Jobs the supervisor runs itself, in threads, outside the task queue: so they keep running
while the queue is wedged (the sweeper recovers what a dead worker left, alert evaluation tells
a person). An explicit registry: (name, dotted path of a no-argument callable, setting holding
its interval in seconds)."""
from __future__ import annotations

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from integrations.locking import lease_try
from integrations.sync.wakeups import wakeups_run

logger = logging.getLogger(__name__)

PERIODIC_JOBS: list[tuple[str, str, str]] = [
    ("sweeper", "integrations.sync.sweeper.sync_items_dispatch_due", "WORKER_SWEEP_SECONDS"),
    ("alert evaluation", "monitoring.alerts.services.alert_rules_evaluate", "WORKER_ALERTS_SECONDS"),
]
# Jobs one supervisor of several runs per round (job_round): alert evaluation, whose reminders two machines
# evaluating at once could send twice. The sweeper runs on every machine: it also frees the locks of this
# machine's dead processes, which only a process on the same machine can tell are dead.
ONE_AT_A_TIME = {"alert evaluation"}


def job_round(name: str, job, every: float, holder: str) -> bool:
    """One round of a periodic job; for a job in ONE_AT_A_TIME, unless another supervisor (another
    machine's) ran it within this interval: each round takes the job's lease for a little less than the
    interval, so of several supervisors one runs each round, and when it stops another takes over at
    the next round after its lease ends."""
    if name in ONE_AT_A_TIME and not lease_try(f"job:{name}", holder, seconds=every * LEASE_SHARE):
        return False
    job()
    return True


# Of the interval, the part a round's lease lasts: expired before the same supervisor's next round.
LEASE_SHARE = 0.8


def _periodic(name: str, job, every: float, stop: threading.Event) -> None:
    holder = f"{socket.gethostname()}:{os.getpid()}:supervisor"  # the lock holders' form (locking.py)
    try:
        while not stop.is_set():
            close_old_connections()  # long-lived thread: honour CONN_MAX_AGE, drop broken connections
            try:
                job_round(name, job, every, holder)
            except Exception:  # the database or a bug: the next round tries again
                logger.exception("The supervisor's %s failed; it runs again in %.0f s.", name, every)
                connection.close()
            stop.wait(every)
    finally:
        connection.close()


def _dispatcher(stop: threading.Event) -> None:
    try:
        wakeups_run(keep_going=lambda: not stop.is_set())
    finally:
        connection.close()


def supervisor_jobs_start(stop: threading.Event) -> list[threading.Thread]:
    """Start the due-time dispatcher and every periodic job; each stops when ``stop`` is set."""
    threads = [threading.Thread(target=_dispatcher, args=(stop,), name="due-time dispatcher", daemon=True)]
    for name, path, interval in PERIODIC_JOBS:
        threads.append(threading.Thread(target=_periodic, name=name, daemon=True,
                                        args=(name, import_string(path), getattr(settings, interval), stop)))
    for thread in threads:
        thread.start()
    return threads

"""Jobs the supervisor runs itself, in threads, outside the task queue: so they keep running
while the queue is wedged (the sweeper recovers what a dead worker left, alert evaluation tells
a person). An explicit registry: (name, dotted path of a no-argument callable, setting holding
its interval in seconds)."""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from integrations.sync.wakeups import wakeups_run

logger = logging.getLogger(__name__)

PERIODIC_JOBS: list[tuple[str, str, str]] = [
    ("sweeper", "integrations.sync.sweeper.sync_items_dispatch_due", "WORKER_SWEEP_SECONDS"),
    ("alert evaluation", "monitoring.alerts.services.alert_rules_evaluate", "WORKER_ALERTS_SECONDS"),
]


def _periodic(name: str, job, every: float, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            close_old_connections()  # long-lived thread: honour CONN_MAX_AGE, drop broken connections
            try:
                job()
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

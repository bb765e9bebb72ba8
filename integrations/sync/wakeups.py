"""The due-time dispatcher: parked items (a retry, a wait for another worker's lock) reach a
worker within a fraction of a second of their time.

An item that must run later is *parked*: its ``wake_at`` holds when. Every worker cluster runs
one loop (``manage.py ledgerlink_worker``: a thread of the supervisor, outside the task queue) that wakes every
SYNC_WAKE_POLL_SECONDS, or sooner when the earliest parked item is due sooner, and hands the
due ones to the broker. Why not django-q2: its tasks have no "not before" time, and its scheduler
runs once per ~30 s tick, so a retry due in 5 s ran after up to 35.

- Restarts lose nothing: the due times live in the database, not in a process.
- N clusters on N machines: each due item is taken by one loop only. Rows are read with
  ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer) and a loop dispatches an item
  only when its own conditional UPDATE cleared ``wake_at``. With the ORM broker the task row is
  written in that same transaction; with Redis it is sent after the commit, and a task lost
  between the two is sent again by the once-a-minute sweeper (the item is still due). Even a
  double dispatch runs the item once: the engine's claim is a conditional UPDATE as well.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Min
from django.utils import timezone

from integrations.models import SyncItem
from integrations.sync.items import sync_item_dispatch

logger = logging.getLogger(__name__)


def sync_items_wake_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Hand every parked item now due to a worker; returns how many this call dispatched."""
    now = now or timezone.now()
    dispatched = 0
    with transaction.atomic():
        due = list(SyncItem.objects.select_related("flow").filter(wake_at__lte=now).order_by("wake_at")
                   .select_for_update(skip_locked=True, of=("self",))[:limit])
        for item in due:
            if SyncItem.objects.filter(pk=item.pk, wake_at=item.wake_at).update(wake_at=None):
                sync_item_dispatch(item=item)
                dispatched += 1
    return dispatched


def next_wake_in(*, now: datetime | None = None) -> float | None:
    """Seconds until the earliest parked item is due (≤ 0: due now); None when nothing is parked."""
    earliest = SyncItem.objects.filter(wake_at__isnull=False).aggregate(at=Min("wake_at"))["at"]
    return None if earliest is None else (earliest - (now or timezone.now())).total_seconds()


def wakeups_run(*, keep_going, poll: float | None = None) -> None:
    """The loop: dispatch what is due, sleep until the next item is due or ``poll`` passes (new
    items are parked by other processes), until ``keep_going()`` is false."""
    poll = settings.SYNC_WAKE_POLL_SECONDS if poll is None else poll
    while keep_going():
        close_old_connections()  # a long-lived loop: honour CONN_MAX_AGE and drop broken connections
        try:
            # A read first: the dispatching transaction (on SQLite an IMMEDIATE one, holding the
            # single write lock) is opened only when something is due.
            wait = next_wake_in()
            if wait is not None and wait <= 0:
                if sync_items_wake_due():
                    continue  # there may be more than one batch due
                wait = 0.05  # due, but another cluster's loop is sending it this instant
        except Exception:  # the database or the broker: the loop outlives a passing outage
            logger.exception("The due-time dispatcher could not send parked items; trying again in a second.")
            connection.close()
            wait = 1.0
        time.sleep(max(0.01, min(poll, wait if wait is not None else poll)))  # the loop's cadence

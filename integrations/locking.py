"""Per-record locks so two workers never write the same binding at once, on any number of
machines, directly on PostgreSQL or behind PgBouncer in transaction mode.

A lock is a lease row (SyncLock): one statement, ``INSERT ... ON CONFLICT (key) DO UPDATE ...
WHERE expires_at < now``, takes it when it is free or its lease ran out (a dead worker), and a
``DELETE`` by the same holder gives it back. Each is a transaction of its own, so nothing stays
open across the remote HTTP calls the lock guards and nothing depends on which server connection
a pooler hands out next. Session-level advisory locks, used before, do: behind PgBouncer in
transaction mode the unlock can reach another server connection than the lock (the lock then
outlives the worker), and another client on the lock's server connection holds it too. A
transaction-scoped advisory lock would need one transaction open for the whole sync, rolling back
its attempt and API-call log on failure. The lease lasts ``SYNC_LOCK_LEASE_SECONDS`` (Q_TIMEOUT +
60 s: no task outlives Q_TIMEOUT, so a living holder never loses it); a worker killed while
holding one delays that record only, until its lease ends (its item goes back to the queue
meanwhile without an attempt counted), unless it ran on this machine: a holder whose process is
gone is seen at once (lease_free_if_holder_died). The same statement runs on SQLite.

A thread that already holds a key takes it again without waiting (re-entrant, as advisory locks
were): a flow step may lock a record its item's lock already covers.

A busy lock is tried again every 20-200 ms for a short while (binding_lock's ``wait``) before the
caller hears LockBusy.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from integrations.errors import LockBusy
from integrations.models import SyncLock

_held = threading.local()  # this thread's keys and their holder ids (re-entrancy)


def lock_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _take_sql(db) -> str:
    table, key = SyncLock._meta.db_table, db.ops.quote_name("key")
    return (f"INSERT INTO {table} ({key}, holder, expires_at) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({key}) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            f"WHERE {table}.expires_at < %s RETURNING id")


def lease_try(key: str, holder: str, *, seconds: float | None = None, db=None) -> bool:
    """Take ``key``'s lease for ``holder`` if it is free or expired; False when another holder has it.
    ``db``: the database connection (Django's default one unless given)."""
    db = db or connection
    now = timezone.now()
    expires = now + timedelta(seconds=settings.SYNC_LOCK_LEASE_SECONDS if seconds is None else seconds)
    adapt = db.ops.adapt_datetimefield_value
    with db.cursor() as cur:
        cur.execute(_take_sql(db), [key, holder, adapt(expires), adapt(now)])
        return cur.fetchone() is not None


def lease_free_if_holder_died(key: str) -> bool:
    """Free ``key`` when its holder was a process on this machine that no longer runs (a worker killed
    while holding it, as an OOM kill does): waiting out its lease would stall the record for minutes.
    Holders on other machines cannot be checked from here: their leases run out."""
    holder = SyncLock.objects.filter(key=key).values_list("holder", flat=True).first() or ""
    host, _, rest = holder.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return bool(SyncLock.objects.filter(key=key, holder=holder).delete()[0])
    except PermissionError:  # it exists, under another user
        return False
    return False


def worker_locks_release(worker: str) -> int:
    """Free every lock the worker process ``worker`` (its lock_holder_id) held: the sweeper found it
    lost (its item ran past SYNC_RUNNING_STALE_SECONDS, longer than any task may run)."""
    return SyncLock.objects.filter(holder__startswith=f"{worker}:").delete()[0]


def lease_release(key: str, holder: str, *, db=None) -> None:
    db = db or connection
    with db.cursor() as cur:
        cur.execute(f"DELETE FROM {SyncLock._meta.db_table} WHERE {db.ops.quote_name('key')} = %s AND holder = %s",
                    [key, holder])


@contextmanager
def binding_lock(key: str, *, wait: float | None = None):
    """Hold an exclusive lock on ``key``, waiting up to ``wait`` seconds (SYNC_LOCK_WAIT_SECONDS
    by default) for another worker to finish with it; then raise LockBusy.

    A record's lock is mostly held for the second or two another flow takes to write it (an
    Account's client being made while its deal is won): waiting that long here is far cheaper
    than parking the item. LockBusy is not a failure: the engine puts the item back in the queue
    to run again shortly and counts no attempt (engine.py)."""
    held = _held.__dict__.setdefault("keys", {})
    if key in held:
        yield
        return
    # Unique per take: two threads of one process are two holders, and a holder whose lease ran
    # out never deletes the next holder's.
    holder = f"{lock_holder_id()}:{uuid.uuid4().hex[:12]}"
    deadline = time.monotonic() + (settings.SYNC_LOCK_WAIT_SECONDS if wait is None else wait)
    pause = 0.02
    while not lease_try(key, holder):
        if lease_free_if_holder_died(key):
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockBusy(f"Another worker is syncing this record ({key}); this item runs again when it is done.",
                           retry_after=settings.SYNC_LOCK_REQUEUE_SECONDS)
        time.sleep(min(pause, left))  # polling the lease: it has no waiter to wake
        pause = min(pause * 2, 0.2)
    held[key] = holder
    try:
        yield
    finally:
        del held[key]
        lease_release(key, holder)

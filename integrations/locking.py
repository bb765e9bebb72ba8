"""Per-record locks so two workers never write the same binding at once.

PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) on a 64-bit hash of the
key. We do not hold a row lock (select_for_update) across the remote HTTP calls, because
that would keep one database transaction open for the whole sync and roll back the
attempt and API-call log on failure; an advisory lock needs no open transaction and is
released by PostgreSQL if the worker dies (its connection closes).

SQLite (single writer, no advisory locks): a lease row in SyncLock, taken with a
conditional UPDATE/INSERT inside an IMMEDIATE transaction; an expired lease (a dead
worker) may be taken over.

Either way a busy lock is tried again every 20-200 ms for a short while (binding_lock's
``wait``) before the caller hears LockBusy.
"""
from __future__ import annotations

import hashlib
import os
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from integrations.errors import LockBusy
from integrations.models import SyncLock


def lock_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _advisory_key(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _pg_try(key: str):
    """Take the advisory lock if free; return its release, or None when another session holds it."""
    lock_id = _advisory_key(key)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
        if not cur.fetchone()[0]:
            return None

    def release():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
    return release


def _lease_try(key: str):
    """Take the lease if free or expired; return its release, or None when another holder has it."""
    holder = lock_holder_id()
    now = timezone.now()
    expires = now + timedelta(seconds=settings.SYNC_LOCK_LEASE_SECONDS)
    with transaction.atomic():
        taken = SyncLock.objects.filter(key=key, expires_at__lt=now).update(holder=holder, expires_at=expires)
        if not taken:
            try:
                with transaction.atomic():
                    SyncLock.objects.create(key=key, holder=holder, expires_at=expires)
            except IntegrityError:
                return None
    return lambda: SyncLock.objects.filter(key=key, holder=holder).delete()


@contextmanager
def binding_lock(key: str, *, wait: float | None = None):
    """Hold an exclusive lock on ``key``, waiting up to ``wait`` seconds (SYNC_LOCK_WAIT_SECONDS
    by default) for another worker to finish with it; then raise LockBusy.

    A record's lock is mostly held for the second or two another flow takes to write it (an
    Account's client being made while its deal is won): waiting that long here is far cheaper
    than parking the item. LockBusy is not a failure: the engine puts the item back in the queue
    to run again shortly and counts no attempt (engine.py)."""
    try_lock = _pg_try if connection.vendor == "postgresql" else _lease_try
    deadline = time.monotonic() + (settings.SYNC_LOCK_WAIT_SECONDS if wait is None else wait)
    pause = 0.02
    while (release := try_lock(key)) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockBusy(f"Another worker is syncing this record ({key}); this item runs again when it is done.",
                           retry_after=settings.SYNC_LOCK_REQUEUE_SECONDS)
        time.sleep(min(pause, left))  # polling the lock: neither backend can wait with a deadline here
        pause = min(pause * 2, 0.2)
    try:
        yield
    finally:
        release()

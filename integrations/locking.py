"""Per-record locks so two workers never write the same binding at once.

PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) on a 64-bit hash of the
key. We do not hold a row lock (select_for_update) across the remote HTTP calls, because
that would keep one database transaction open for the whole sync and roll back the
attempt and API-call log on failure; an advisory lock needs no open transaction and is
released by PostgreSQL if the worker dies (its connection closes).

SQLite (single writer, no advisory locks): a lease row in SyncLock, taken with a
conditional UPDATE/INSERT inside an IMMEDIATE transaction; an expired lease (a dead
worker) may be taken over.
"""
from __future__ import annotations

import hashlib
import os
import socket
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


@contextmanager
def _pg_lock(key: str):
    lock_id = _advisory_key(key)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
        acquired = cur.fetchone()[0]
    if not acquired:
        raise LockBusy(f"Another worker is already syncing this record ({key}); it will be retried.", retry_after=5)
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [lock_id])


@contextmanager
def _lease_lock(key: str):
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
                raise LockBusy(
                    f"Another worker is already syncing this record ({key}); it will be retried.", retry_after=5
                ) from None
    try:
        yield
    finally:
        SyncLock.objects.filter(key=key, holder=holder).delete()


@contextmanager
def binding_lock(key: str):
    """Hold an exclusive lock on ``key`` or raise LockBusy (a RetryableError) at once."""
    lock = _pg_lock if connection.vendor == "postgresql" else _lease_lock
    with lock(key):
        yield

"""The subscriber lease: one row per connection (SubscriberLease), on SQLite and PostgreSQL alike.

Times are the database's (``Now()``), so processes on machines whose clocks differ agree on
when a lease expired. Taking an expired lease is one conditional UPDATE: two standbys racing
for it cannot both match (PostgreSQL re-checks the row after the first one's UPDATE commits;
SQLite has one writer). ``lease_fence`` runs inside every store transaction: it matches only
while this holder still has the lease and (on PostgreSQL) locks the row until the commit, so
a takeover waits for an in-flight store and a stalled former holder stores nothing.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Now

from integrations.models import SubscriberLease


class LeaseLost(Exception):
    """Another subscriber holds this connection's lease now: stop storing."""


def subscriber_holder_id() -> str:
    """Unique per process run: a restarted process on the same host is a new holder."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _until():
    return Now() + timedelta(seconds=settings.PUBSUB_LEASE_SECONDS)


def lease_acquire(*, connection_id: int, holder: str) -> bool:
    """Renew this holder's lease, or take it when free or expired; True when held after the call."""
    leases = SubscriberLease.objects.filter(connection_id=connection_id)
    if leases.filter(holder=holder).update(lease_until=_until()):
        return True
    if leases.filter(lease_until__lt=Now()).update(holder=holder, lease_until=_until(), acquired_at=Now()):
        return True
    if leases.exists():
        return False
    try:
        with transaction.atomic():
            SubscriberLease.objects.create(connection_id=connection_id, holder=holder,
                                           lease_until=_until(), acquired_at=Now())
    except IntegrityError:
        return False  # another process created it first
    return True


def lease_fence(*, connection_id: int, holder: str) -> None:
    """Inside a store transaction: raise LeaseLost unless this holder still has the lease."""
    if not SubscriberLease.objects.filter(connection_id=connection_id, holder=holder).update(
            lease_until=F("lease_until")):
        raise LeaseLost(f"Connection {connection_id}'s subscriber lease is no longer held by {holder}.")


def lease_release(*, connection_id: int, holder: str) -> None:
    """On a clean stop: a standby takes over at its next look instead of waiting out the lease."""
    SubscriberLease.objects.filter(Q(connection_id=connection_id) & Q(holder=holder)).delete()


def lease_holder(connection_id: int) -> SubscriberLease | None:
    return SubscriberLease.objects.filter(connection_id=connection_id).first()

"""The event bus in commit order.

SfChangeEvent rows are written inside the writer's transaction, so under concurrent writers their
primary keys are not commit order: a transaction that took pk 10 may commit after the one that
took pk 11, and a reader going by pk would already have passed 10. So the bus position (bus_seq)
is assigned after commit, by the Pub/Sub server itself: `bus_assign` reads the committed rows that
have no position yet, oldest pk first, and numbers them on from the highest position. A row that
commits late simply gets a later position; nothing is skipped. Streams read by bus_seq only.

Exactly one process may assign (the one `sandbox_pubsub_serve`). bus_seq is unique, so a second
assigner by mistake fails on the constraint instead of giving two events one position. Each
assignment is its own autocommit statement, in increasing order, so whoever sees position N
also sees every position below it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max, Min
from django.utils import timezone

from ..models import SfChangeEvent, SfOrg
from .errors import replay_corrupted
from .replay import replay_id_decode

ASSIGN_BATCH = 500


def bus_latest() -> int:
    return SfChangeEvent.objects.aggregate(top=Max("bus_seq"))["top"] or 0


def bus_assign(*, latest: int | None = None, limit: int = ASSIGN_BATCH) -> int:
    """Give committed, unpositioned events the next positions; returns the highest position.
    ``latest``: the highest position known from the previous round (saves a query when idle)."""
    pending = list(SfChangeEvent.objects.filter(bus_seq__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit])
    if not pending and latest is not None:
        return latest
    top = bus_latest()
    for pk in pending:
        top += 1
        SfChangeEvent.objects.filter(pk=pk, bus_seq__isnull=True).update(bus_seq=top)
    return top


def retention_cutoff(org: SfOrg, now: datetime | None = None) -> datetime:
    """Events committed before this cannot be replayed (retention, or the 'expire replay ids' switch)."""
    cutoff = (now or timezone.now()) - timedelta(hours=org.pubsub_retention_hours)
    if org.pubsub_replay_valid_after and org.pubsub_replay_valid_after > cutoff:
        cutoff = org.pubsub_replay_valid_after
    return cutoff


def position_earliest(org: SfOrg, latest: int) -> int:
    """Just before the oldest retained event (EARLIEST)."""
    oldest = SfChangeEvent.objects.filter(bus_seq__isnull=False, bus_seq__lte=latest,
                                          created_at__gte=retention_cutoff(org)).aggregate(low=Min("bus_seq"))["low"]
    return latest if oldest is None else oldest - 1


def position_after(raw: bytes, org: SfOrg) -> int:
    """The position a CUSTOM replay id names; the corrupted-replay-id error when it is garbage,
    purged, or older than retention."""
    seq = replay_id_decode(raw, org.org_id)
    if seq is None:
        raise replay_corrupted("The Replay ID validation failed.")
    cutoff = retention_cutoff(org)
    if seq == 0:  # the position before the first event: valid while nothing has left retention
        lost = SfChangeEvent.objects.filter(bus_seq__isnull=False, created_at__lt=cutoff).exists()
    else:
        row = SfChangeEvent.objects.filter(bus_seq=seq).values("created_at").first()
        lost = row is None or row["created_at"] < cutoff
    if lost:
        raise replay_corrupted("The Replay ID validation failed: it is outside the retention window or was purged.")
    return seq


def events_after(position: int, *, upto: int, entities: list[str], limit: int) -> list[SfChangeEvent]:
    return list(SfChangeEvent.objects.filter(bus_seq__gt=position, bus_seq__lte=upto, entity__in=entities)
                .order_by("bus_seq")[:limit])

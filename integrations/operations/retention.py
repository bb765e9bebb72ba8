"""Retention: old routed events, API-call rows, attempts and finished items are deleted, in batches.

What is never deleted, whatever its age: dead, held, open (pending, retrying) and running items,
with their attempts, API calls, events and the parent items of their chains (the evidence
someone still needs); events not yet routed or that failed; and every row a finding or an open
alert names (monitoring/pinned.py). Ages come from the RETENTION_* settings (0 keeps a kind
forever). Each batch of ``RETENTION_BATCH_SIZE`` ids is one short transaction that reads the row
conditions again before deleting, so routing and workers wait at most one batch for a lock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from integrations.models import InboundEvent, SyncItem
from monitoring.models import ApiCall, SyncAttempt
from monitoring.pinned import Pinned, records_pinned

S = SyncItem.Status
# Items whose work is over and left nothing for a person to do.
DONE = (S.SUCCEEDED, S.SKIPPED)
ROUTED = (InboundEvent.Status.PROCESSED, InboundEvent.Status.IGNORED)


@dataclass
class PruneReport:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)

    def sentence(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return f"Retention {verb}: " + ", ".join(f"{n} {kind}" for kind, n in self.counts.items()) + "."


def records_prune(*, now: datetime | None = None, dry_run: bool = False, batch_size: int | None = None) -> PruneReport:
    """Delete (or, with ``dry_run``, count) what is past its retention age."""
    now = now or timezone.now()
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    pinned = records_pinned()
    report = PruneReport(dry_run=dry_run)
    # Children first: attempts and API calls of items about to go, then the items, then the
    # events no item refers to any more.
    for kind, days, candidates in (
        ("attempts", settings.RETENTION_ATTEMPTS_DAYS, _attempts),
        ("API calls", settings.RETENTION_API_CALLS_DAYS, _api_calls),
        ("sync items", settings.RETENTION_ITEMS_DAYS, _items),
        ("inbound events", settings.RETENTION_EVENTS_DAYS, _events),
    ):
        if days <= 0:
            report.counts[kind] = 0
            continue
        qs = candidates(now - timedelta(days=days), pinned)
        report.counts[kind] = qs.count() if dry_run else _delete_batched(qs, batch_size)
    return report


def _kept_items(pinned: Pinned) -> Q:
    """Items retention leaves alone, and whose attempts and API calls it leaves alone too."""
    return ~Q(status__in=DONE) | Q(pk__in=pinned.sync_items)


def _attempts(cutoff: datetime, pinned: Pinned) -> QuerySet:
    kept = SyncItem.objects.filter(_kept_items(pinned)).values("pk")
    return SyncAttempt.objects.filter(started_at__lt=cutoff).exclude(sync_item_id__in=kept)


def _api_calls(cutoff: datetime, pinned: Pinned) -> QuerySet:
    kept = SyncItem.objects.filter(_kept_items(pinned)).values("pk")
    return (ApiCall.objects.filter(created_at__lt=cutoff).exclude(pk__in=pinned.api_calls)
            .exclude(sync_item_id__in=kept))


def _items(cutoff: datetime, pinned: Pinned) -> QuerySet:
    # A kept item's chain stays readable: the items it was made from are kept with it.
    kept_child = SyncItem.objects.filter(parent_id=OuterRef("pk")).filter(_kept_items(pinned))
    finished_before = Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, updated_at__lt=cutoff)
    return (SyncItem.objects.filter(finished_before, status__in=DONE).exclude(pk__in=pinned.sync_items)
            .exclude(Exists(kept_child)))


def _events(cutoff: datetime, pinned: Pinned) -> QuerySet:
    # An event an item still refers to is that item's trigger: it goes when the item has gone.
    referred = SyncItem.objects.filter(inbound_event_id=OuterRef("pk"))
    return (InboundEvent.objects.filter(status__in=ROUTED, received_at__lt=cutoff)
            .exclude(pk__in=pinned.inbound_events).exclude(Exists(referred)))


def _delete_batched(qs: QuerySet, batch_size: int) -> int:
    """Delete the rows of ``qs`` oldest id first, one short transaction per batch; returns how many."""
    deleted = 0
    while True:
        ids = list(qs.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            # The conditions again, in the transaction that deletes: a row that changed since the read stays.
            _, per_model = qs.filter(pk__in=ids).delete()
        deleted += per_model.get(qs.model._meta.label, 0)
        if len(ids) < batch_size:
            return deleted

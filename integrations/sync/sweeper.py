"""The once-a-minute safety net: recover items whose worker died, resend lost tasks."""
from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from django.conf import settings

from integrations.locking import worker_locks_release
from integrations.sync.retry import BackoffPolicy
from integrations.models import SyncItem
from monitoring.models import SyncAttempt
from integrations.sync.items import sync_item_dispatch
from integrations.sync.routing import inbound_events_route_stale

S = SyncItem.Status


def sync_items_dispatch_due(*, now=None, limit: int = 500) -> dict:
    """Safety net run every minute: recover stale running items, dispatch due work.

    - running past its lease (the worker died): counts as a failed attempt; dead when the
      attempt budget is spent, so a record that kills its worker cannot loop forever; the record
      locks that worker held are freed (on another machine its process cannot be checked);
    - pending items due for longer than SYNC_ENQUEUE_LOST_SECONDS (their task was lost, e.g.
      the worker died between committing the item and sending its task) and retrying items
      whose time has come are dispatched again (the claim step makes double dispatch
      harmless). "Due for" counts from next_attempt_at, not updated_at: a new trigger folding
      into a lost item touches updated_at without sending a task, and must not postpone it.
    - inbound events still unrouted after a minute (their route task was lost) are routed.
    """
    now = now or timezone.now()
    stale = 0
    for item in SyncItem.objects.select_related("flow").filter(status=S.RUNNING, lease_expires_at__lt=now)[:limit]:
        policy = BackoffPolicy.from_settings(item.flow.max_attempts)
        message = "The worker stopped while processing this item (crash or timeout)."
        if policy.exhausted(item.attempts):
            fields = dict(status=S.DEAD, finished_at=now, last_error=f"{message} Gave up after {item.attempts} attempts.")
        else:
            fields = dict(status=S.RETRYING, next_attempt_at=now, last_error=f"{message} Retrying.")
        worker = SyncAttempt.objects.filter(sync_item_id=item.pk).order_by("-pk").values_list("worker", flat=True).first()
        if worker:
            worker_locks_release(worker)
        try:
            with transaction.atomic():
                stale += SyncItem.objects.filter(pk=item.pk, status=S.RUNNING).update(
                    **fields, last_error_class="WorkerLost", lease_expires_at=None, updated_at=now
                )
        except IntegrityError:
            SyncItem.objects.filter(pk=item.pk, status=S.RUNNING).update(
                status=S.SKIPPED, finished_at=now, lease_expires_at=None, updated_at=now,
                last_error="Superseded: a newer change to the same record is queued.",
            )
    due = SyncItem.objects.filter(
        Q(status=S.RETRYING, next_attempt_at__lte=now)
        | Q(status=S.PENDING, next_attempt_at__lte=now - timedelta(seconds=settings.SYNC_ENQUEUE_LOST_SECONDS))
    ).select_related("flow").order_by("next_attempt_at")[:limit]
    dispatched = 0
    for item in due:
        sync_item_dispatch(item=item)
        dispatched += 1
    return {"stale_recovered": stale, "dispatched": dispatched, "events_routed": inbound_events_route_stale(now=now)}




def sync_items_worker_lost(item_ids: list[int], *, now=None) -> set[int]:
    """The worker running these items is known dead: end the lease of those still running, so
    the next sweep counts the lost attempt and queues them again, instead of waiting out
    SYNC_RUNNING_STALE_SECONDS. Returns the ids it ended the lease of (the others were not
    claimed yet, or are finished)."""
    now = now or timezone.now()
    with transaction.atomic():
        running = set(SyncItem.objects.select_for_update().filter(pk__in=item_ids, status=S.RUNNING)
                      .values_list("pk", flat=True))
        SyncItem.objects.filter(pk__in=running).update(lease_expires_at=now - timedelta(seconds=1))
    return running


def sync_items_pending_redispatch(*, due_before, limit: int = 5000) -> int:
    """Send again the task of every item still pending that was due before ``due_before``: a
    pusher died then and may have taken some of their tasks with it (Redis pops a task to a client
    that is gone). An item whose task is still queued gets a second one, which the claim makes a
    no-op; one whose task was lost is processed now instead of after SYNC_ENQUEUE_LOST_SECONDS."""
    items = list(SyncItem.objects.filter(status=S.PENDING, next_attempt_at__lte=due_before)
                 .select_related("flow").order_by("next_attempt_at")[:limit])
    for item in items:
        sync_item_dispatch(item=item)
    return len(items)

"""Business actions on the core model. Admin actions, views, tasks and commands call these."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Binding, Flow, InboundEvent, SyncItem
from .queue import task_enqueue

logger = logging.getLogger(__name__)
S = SyncItem.Status


def sync_item_identity(*, flow: Flow, source_object: str, source_id: str, step: str = "") -> str:
    """Two triggers for the same record of the same flow are the same work."""
    key = f"{flow.pk}:{source_object}:{source_id}"
    return f"{key}:{step}" if step else key


def sync_item_enqueue(
    *,
    flow: Flow,
    source_object: str,
    source_id: str,
    action: str = "upsert",
    hint: dict | None = None,
    inbound_event: InboundEvent | None = None,
    parent: SyncItem | None = None,
    step: str = "",
    received_at=None,
    dispatch: bool = True,
) -> tuple[SyncItem, bool]:
    """Create the pending item for this record, or fold the trigger into the one already open.

    Returns (item, created). At most one pending/retrying item exists per identity key (a
    partial unique constraint); a trigger for a record that is running makes a new pending
    item, because the running one may have read the source before this change.
    """
    identity = sync_item_identity(flow=flow, source_object=source_object, source_id=str(source_id), step=step)
    fields = dict(action=action, hint=hint or {}, inbound_event=inbound_event)
    for _ in range(3):
        existing = SyncItem.objects.filter(identity_key=identity, status__in=SyncItem.OPEN_STATUSES).first()
        if existing:
            SyncItem.objects.filter(pk=existing.pk).update(**fields, updated_at=timezone.now())
            return existing, False
        try:
            with transaction.atomic():
                item = SyncItem.objects.create(
                    flow=flow, identity_key=identity, source_object=source_object, source_id=str(source_id),
                    parent=parent, step=step, received_at=received_at or timezone.now(),
                    entity=parent.entity if parent else None, **fields,
                )
        except IntegrityError:
            continue  # another process created it between our read and insert: fold into it
        if dispatch:
            sync_item_dispatch(item=item)
        return item, True
    raise RuntimeError(f"Could not enqueue {identity}: the open item kept changing")


def sync_item_dispatch(*, item: SyncItem) -> None:
    """Hand the item to a worker once the transaction that made it commits (see queue.py)."""
    task_enqueue("integrations.tasks.sync_item_process", item.pk, group=item.flow.name,
                 task_name=f"sync-item-{item.pk}")


def sync_item_replay(*, item: SyncItem, user=None) -> tuple[SyncItem, str]:
    """Put a dead, skipped, held or finished item back in the queue with a fresh attempt budget."""
    if item.status in SyncItem.OPEN_STATUSES or item.status == S.RUNNING:
        return item, f"Item {item.pk} is already {item.get_status_display().lower()}."
    who = f" by {user}" if user else ""
    try:
        with transaction.atomic():
            updated = SyncItem.objects.filter(pk=item.pk, status=item.status).update(
                status=S.PENDING, attempts=0, next_attempt_at=timezone.now(), finished_at=None,
                last_error=f"Replay requested{who} at {timezone.now():%Y-%m-%d %H:%M UTC}; last error was: {item.last_error}"[:4000],
                updated_at=timezone.now(),
            )
    except IntegrityError:
        open_item = SyncItem.objects.filter(identity_key=item.identity_key, status__in=SyncItem.OPEN_STATUSES).first()
        return open_item or item, f"Item {item.pk} was not replayed: the same record is already queued as item {open_item.pk if open_item else '?'}."
    if not updated:
        item.refresh_from_db()
        return item, f"Item {item.pk} changed while replaying; it is now {item.get_status_display().lower()}."
    item.refresh_from_db()
    sync_item_dispatch(item=item)
    return item, f"Item {item.pk} queued again."


def sync_items_replay(*, items, user=None) -> tuple[int, list[str]]:
    queued, messages = 0, []
    for item in items:
        item, message = sync_item_replay(item=item, user=user)
        messages.append(message)
        queued += message.endswith("queued again.")
    return queued, messages


def binding_resync(*, binding: Binding, user=None) -> list[SyncItem]:
    """Queue a fresh sync of the bound record through every enabled flow that reads it."""
    flows = Flow.objects.filter(
        enabled=True, source_connection_id=binding.connection_id, source_object=binding.object_type
    )
    items = []
    for flow in flows:
        item, _ = sync_item_enqueue(
            flow=flow, source_object=binding.object_type, source_id=binding.external_id,
            hint={"reason": "resync", "requested_by": str(user) if user else "system"},
        )
        items.append(item)
    return items


def sync_items_dispatch_due(*, now=None, limit: int = 500) -> dict:
    """Safety net run every minute: recover stale running items, dispatch due work.

    - running past its lease (the worker died): counts as a failed attempt; dead when the
      attempt budget is spent, so a record that kills its worker cannot loop forever;
    - pending items due for longer than SYNC_ENQUEUE_LOST_SECONDS (their task was lost, e.g.
      the worker died between committing the item and sending its task) and retrying items
      whose time has come are dispatched again (the claim step makes double dispatch
      harmless). "Due for" counts from next_attempt_at, not updated_at: a new trigger folding
      into a lost item touches updated_at without sending a task, and must not postpone it.
    - inbound events still unrouted after a minute (their route task was lost) are routed.
    """
    from django.conf import settings

    from .sync.retry import BackoffPolicy

    now = now or timezone.now()
    stale = 0
    for item in SyncItem.objects.select_related("flow").filter(status=S.RUNNING, lease_expires_at__lt=now)[:limit]:
        policy = BackoffPolicy.from_settings(item.flow.max_attempts)
        message = "The worker stopped while processing this item (crash or timeout)."
        if policy.exhausted(item.attempts):
            fields = dict(status=S.DEAD, finished_at=now, last_error=f"{message} Gave up after {item.attempts} attempts.")
        else:
            fields = dict(status=S.RETRYING, next_attempt_at=now, last_error=f"{message} Retrying.")
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
    from .intake import inbound_events_route_stale

    return {"stale_recovered": stale, "dispatched": dispatched, "events_routed": inbound_events_route_stale(now=now)}


def cursor_advance(*, cursor, value, run_started_at=None) -> None:
    """Advance a polling watermark once the page's work is committed.

    A datetime watermark is capped at the run's start: records changed while the run was
    paging may have been missed, so the next run starts from there again.
    """
    if isinstance(value, datetime):
        if run_started_at is not None:
            value = min(value, run_started_at)
        value = value.isoformat()
    cursor.value, cursor.last_run_at = str(value), timezone.now()
    cursor.save(update_fields=["value", "last_run_at", "updated_at"])

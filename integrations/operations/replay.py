"""Replay: put dead letters (or any finished item) back in the queue with a fresh attempt budget.
Management commands and admin actions are thin callers."""
from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import Flow, SyncItem
from integrations.sync.items import sync_item_dispatch

S = SyncItem.Status


def dead_items(*, flow: Flow | None = None, since: datetime | None = None):
    items = SyncItem.objects.filter(status=SyncItem.Status.DEAD).select_related("flow")
    if flow is not None:
        items = items.filter(flow=flow)
    if since is not None:
        items = items.filter(finished_at__gte=since)
    return items.order_by("pk")


def dead_items_replay(*, flow: Flow | None = None, since: datetime | None = None, user=None) -> tuple[int, list[str]]:
    return sync_items_replay(items=list(dead_items(flow=flow, since=since)), user=user)


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



"""Sync items: one identity per record and flow, queued (or folded into open work) and dispatched."""
from __future__ import annotations


from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import Flow, InboundEvent, SyncItem
from integrations.sync.queue import task_enqueue

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



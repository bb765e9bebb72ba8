"""Sync items: one identity per record and flow, queued (or folded into open work) and dispatched."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import Flow, InboundEvent, SyncItem
from integrations.sync.queue import task_enqueue, tasks_enqueue

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




@dataclass
class Trigger:
    """One request for work on one record of one flow (what ``sync_item_enqueue`` takes as arguments)."""

    flow: Flow
    source_object: str
    source_id: str
    action: str = "upsert"
    hint: dict = field(default_factory=dict)
    inbound_event_id: int | None = None
    received_at: datetime | None = None

    @property
    def identity(self) -> str:
        return sync_item_identity(flow=self.flow, source_object=self.source_object, source_id=str(self.source_id))


def sync_items_enqueue(*, triggers: list[Trigger]) -> list[SyncItem]:
    """``sync_item_enqueue`` for a batch, in a handful of statements; returns the items it created.

    Same outcome as enqueueing the triggers one by one, in order: one open item per identity
    (the partial unique index), the first trigger's ``received_at``, the last trigger's action,
    hint and event. Open items are folded into with one UPDATE; the rest are inserted with one
    ``INSERT … ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``) and selected
    again, so an item another process opened meanwhile is folded into rather than duplicated.
    New items are dispatched with one write to the broker (``tasks_enqueue``).
    """
    firsts: dict[str, Trigger] = {}
    lasts: dict[str, Trigger] = {}
    for trigger in triggers:
        firsts.setdefault(trigger.identity, trigger)
        lasts[trigger.identity] = trigger
    created: list[SyncItem] = []
    waiting = list(lasts)
    for _ in range(3):
        if not waiting:
            break
        opened = _open_items(waiting)
        missing = [key for key in waiting if key not in opened]
        if missing:
            now = timezone.now()
            SyncItem.objects.bulk_create([_new_item(firsts[key], lasts[key], now) for key in missing],
                                         ignore_conflicts=True)
            for key, item in _open_items(missing).items():
                if (item.inbound_event_id, item.hint, item.action) == _fields(lasts[key]):
                    created.append(item)  # ours (or the same trigger exactly, which is the same work)
                else:
                    opened[key] = item  # another process opened it between our read and insert
        _fold([(item, lasts[key]) for key, item in opened.items()
               if (item.inbound_event_id, item.hint, item.action) != _fields(lasts[key])])
        done = set(opened) | {item.identity_key for item in created}
        # Gone between our statements (a worker claimed it): make new work, as one by one would.
        waiting = [key for key in waiting if key not in done]
    if waiting:
        raise RuntimeError(f"Could not enqueue {waiting[0]} (and {len(waiting) - 1} more): the open items kept changing")
    flows = {t.flow.pk: t.flow for t in triggers}
    tasks_enqueue("integrations.tasks.sync_item_process",
                  [((item.pk,), f"sync-item-{item.pk}", flows[item.flow_id].name) for item in created])
    return created


def _fields(trigger: Trigger) -> tuple:
    return trigger.inbound_event_id, trigger.hint, trigger.action


def _open_items(keys: list[str]) -> dict[str, SyncItem]:
    items = SyncItem.objects.filter(identity_key__in=keys, status__in=SyncItem.OPEN_STATUSES).only(
        "pk", "identity_key", "flow_id", "inbound_event_id", "hint", "action")
    return {item.identity_key: item for item in items}


def _new_item(first: Trigger, last: Trigger, now) -> SyncItem:
    return SyncItem(flow=first.flow, identity_key=first.identity, source_object=first.source_object,
                    source_id=str(first.source_id), received_at=first.received_at or now, action=last.action,
                    hint=last.hint, inbound_event_id=last.inbound_event_id)


def _fold(pairs: list[tuple[SyncItem, Trigger]]) -> None:
    """The latest trigger's action, hint and event onto open items, in one UPDATE."""
    if not pairs:
        return
    now = timezone.now()
    for item, trigger in pairs:
        item.inbound_event_id, item.hint, item.action = _fields(trigger)
        item.updated_at = now
    SyncItem.objects.bulk_update([item for item, _ in pairs], ["inbound_event", "hint", "action", "updated_at"])

"""Sync items: one identity per record and flow, queued (or folded into open work) and dispatched."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, connections, router, transaction
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


def sync_items_enqueue(*, triggers: list[Trigger]) -> list[int]:
    """``sync_item_enqueue`` for a batch, in a handful of statements; returns the ids of the items it created.

    Same outcome as enqueueing the triggers one by one, in order: one open item per identity
    (the partial unique index), the first trigger's ``received_at``, the last trigger's action,
    hint and event. All are offered with ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL
    and SQLite 3.35+), which names the rows it made; an identity that already had an open item
    (made before, or by another process meanwhile) is folded into with one UPDATE. New items
    are dispatched with one write to the broker (``tasks_enqueue``).
    """
    firsts: dict[str, Trigger] = {}
    lasts: dict[str, Trigger] = {}
    for trigger in triggers:
        firsts.setdefault(trigger.identity, trigger)
        lasts[trigger.identity] = trigger
    created: list[tuple[int, int]] = []
    # In one order everywhere: two route tasks inserting overlapping records wait on each other's
    # keys in the same order, so they queue behind each other instead of deadlocking.
    waiting = sorted(lasts)
    for _ in range(3):
        if not waiting:
            break
        inserted = _items_insert([(firsts[key], lasts[key]) for key in waiting])
        created += inserted.values()
        others = [key for key in waiting if key not in inserted]
        opened = _open_items(others)
        _fold([(item, lasts[key]) for key, item in opened.items()
               if (item.inbound_event_id, item.hint, item.action) != _fields(lasts[key])])
        # Neither inserted nor open: the conflicting item left the queue between our statements
        # (a worker claimed it). Offer it again: new work, as one by one would make.
        waiting = [key for key in others if key not in opened]
    if waiting:
        raise RuntimeError(f"Could not enqueue {waiting[0]} (and {len(waiting) - 1} more): the open items kept changing")
    flows = {t.flow.pk: t.flow.name for t in triggers}
    tasks_enqueue("integrations.tasks.sync_item_process",
                  [((pk,), f"sync-item-{pk}", flows[flow_id]) for pk, flow_id in created])
    return [pk for pk, _ in created]


def _fields(trigger: Trigger) -> tuple:
    return trigger.inbound_event_id, trigger.hint, trigger.action


def _open_items(keys: list[str]) -> dict[str, SyncItem]:
    if not keys:
        return {}
    items = SyncItem.objects.filter(identity_key__in=keys, status__in=SyncItem.OPEN_STATUSES).only(
        "pk", "identity_key", "inbound_event_id", "hint", "action")
    return {item.identity_key: item for item in items}


# The columns set per trigger; every other column gets its model default, computed once per statement.
_PER_ROW = ("flow", "identity_key", "source_object", "source_id", "action", "hint", "inbound_event", "received_at")


def _items_insert(pairs: list[tuple[Trigger, Trigger]]) -> dict[str, tuple[int, int]]:
    """Insert a pending item per (first, last) trigger unless its identity has an open one; returns
    identity → (id, flow id) of the rows inserted. Raw SQL because the ORM's ``ignore_conflicts``
    returns no ids, and building a model instance per row was a third of the routing time. The
    columns every row shares are sent once per statement; each row sends only its own eight."""
    db = connections[router.db_for_write(SyncItem)]
    quote = db.ops.quote_name
    now = timezone.now()
    by_name = {f.name: f for f in SyncItem._meta.concrete_fields if not f.primary_key}
    shared = [f for name, f in by_name.items() if name not in _PER_ROW]
    shared_values = [f.get_db_prep_save(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                                        else f.get_default(), db) for f in shared]
    own = [by_name[name] for name in _PER_ROW]
    # VALUES names its columns column1, column2, … on both databases; the ids are cast so that a
    # column of NULLs (no event) still has PostgreSQL's integer type.
    picks = [f"CAST(column{i} AS {f.target_field.rel_db_type(db)})" if f.is_relation else f"column{i}"
             for i, f in enumerate(own, 1)]
    columns = ", ".join(quote(f.column) for f in own + shared)
    row_sql = "(" + ", ".join(["%s"] * len(own)) + ")"
    chunk = max(1, min(1000, ((db.features.max_query_params or 65535) - len(shared)) // len(own)))
    inserted: dict[str, tuple[int, int]] = {}
    for start in range(0, len(pairs), chunk):
        params: list = []
        part = pairs[start:start + chunk]
        for first, last in part:
            params += [first.flow.pk, first.identity, first.source_object, str(first.source_id), last.action,
                       by_name["hint"].get_db_prep_save(last.hint, db), last.inbound_event_id,
                       by_name["received_at"].get_db_prep_save(first.received_at or now, db)]
        # "WHERE true": SQLite needs it to read ON CONFLICT after INSERT … SELECT as the upsert clause.
        sql = (f"INSERT INTO {quote(SyncItem._meta.db_table)} ({columns}) "
               f"SELECT {', '.join(picks)}, {', '.join(['%s'] * len(shared))} "
               f"FROM (VALUES {', '.join([row_sql] * len(part))}) AS v WHERE true "
               f"ON CONFLICT DO NOTHING RETURNING {quote('id')}, {quote('identity_key')}, {quote('flow_id')}")
        with db.cursor() as cursor:
            cursor.execute(sql, shared_values + params)  # the SELECT's shared values come first
            inserted.update({key: (pk, flow_id) for pk, key, flow_id in cursor.fetchall()})
    return inserted


def _fold(pairs: list[tuple[SyncItem, Trigger]]) -> None:
    """The latest trigger's action, hint and event onto open items, in one UPDATE."""
    if not pairs:
        return
    now = timezone.now()
    for item, trigger in pairs:
        item.inbound_event_id, item.hint, item.action = _fields(trigger)
        item.updated_at = now
    SyncItem.objects.bulk_update([item for item, _ in pairs], ["inbound_event", "hint", "action", "updated_at"])

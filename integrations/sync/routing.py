"""Routing: inbound events → sync items, in a worker, in batches (receivers only store and wake it)."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connections, router, transaction
from django.utils import timezone

from integrations.sync.items import Trigger, sync_item_enqueue, sync_items_enqueue
from integrations.models import Connection, Flow, InboundEvent, RouteWakeup, SyncItem
from integrations.sync.queue import task_enqueue

logger = logging.getLogger(__name__)
E = InboundEvent.Status
ROUTE_TASK = "integrations.tasks.inbound_events_route_pending"
# Events still "received" after this long lost their route task: the sweeper routes them.
STALE_AFTER = timedelta(seconds=60)


def inbound_events_dispatch(*, connection_id: int) -> bool:
    """Make sure a route task for this connection is on its way; True when this call sent it.

    The wakeup row is flipped with one UPDATE that matches only while no task is queued; the
    caller whose UPDATE matched enqueues. When a task is already queued the UPDATE matches
    nothing, writes nothing and locks nothing, which is what keeps bursts cheap. The route task
    clears the flag before it reads (``inbound_events_route_pending``), so an event committed
    before any UPDATE that found the flag set is read by that task at the latest.
    """
    db = connections[router.db_for_write(RouteWakeup)]
    table, quote = db.ops.quote_name(RouteWakeup._meta.db_table), db.ops.quote_name
    with db.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {quote('queued')} = %s, {quote('queued_at')} = %s "
                       f"WHERE {quote('connection_id')} = %s AND NOT {quote('queued')}",
                       [True, timezone.now(), connection_id])
        flipped = cursor.rowcount == 1
    if flipped:
        task_enqueue(ROUTE_TASK, connection_id, task_name=f"route-events-{connection_id}")
    return flipped


def flows_reading(*, connection_id: int, object_type: str) -> list[Flow]:
    if not object_type:
        return []
    return list(Flow.objects.filter(enabled=True, source_connection_id=connection_id, source_object=object_type))


def inbound_event_route(*, event: InboundEvent, flows: list[Flow] | None = None) -> list[SyncItem]:
    """Turn one stored event into work for every enabled flow reading that object.

    Events are hints: the item carries the event's ids, and the flow reads the record fresh.
    An event no flow reads is marked ignored (kept, so nothing received is ever lost).
    """
    items = _event_items(event, flows)
    _events_mark([event.pk] if items else [], [] if items else [event.pk])
    return items


def _event_items(event: InboundEvent, flows: list[Flow] | None) -> list[SyncItem]:
    if flows is None:
        flows = flows_reading(connection_id=event.connection_id, object_type=event.object_type)
    return [
        sync_item_enqueue(
            flow=flow, source_object=event.object_type, source_id=event.object_id, action=event.action,
            hint={"event_type": event.event_type, "event_id": event.pk}, inbound_event=event,
            received_at=event.received_at,
        )[0]
        for flow in flows
    ]


def _trigger(event: InboundEvent, flow: Flow) -> Trigger:
    return Trigger(flow=flow, source_object=event.object_type, source_id=event.object_id, action=event.action,
                   hint={"event_type": event.event_type, "event_id": event.pk}, inbound_event_id=event.pk,
                   received_at=event.received_at)


def _events_mark(processed: list[int], ignored: list[int]) -> None:
    now = timezone.now()
    if processed:
        InboundEvent.objects.filter(pk__in=processed).update(status=E.PROCESSED, processed_at=now)
    if ignored:
        InboundEvent.objects.filter(pk__in=ignored).update(
            status=E.IGNORED, detail="No enabled flow reads this kind of event.", processed_at=now)


def inbound_events_route_pending(*, connection_id: int | None = None, limit: int = 500,
                                 older_than=None) -> int:
    """Route received events, oldest first, in one transaction per batch; returns how many.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL): route tasks running side by
    side split the backlog and never route one event twice. SQLite serialises writers, and
    the status filter is read inside the write transaction, which gives the same guarantee.
    """
    if connection_id is not None:
        # Cleared (and committed) before reading: deliveries from now on queue a new task.
        RouteWakeup.objects.filter(connection_id=connection_id).update(queued=False, queued_at=None)
    routed = 0
    while True:
        with transaction.atomic():
            pending = InboundEvent.objects.filter(status=E.RECEIVED)
            if connection_id is not None:
                pending = pending.filter(connection_id=connection_id)
            if older_than is not None:
                pending = pending.filter(received_at__lt=older_than)
            # Only what routing reads: the bodies, headers and payloads stay in the database.
            batch = list(pending.order_by("pk").select_for_update(skip_locked=True)
                         .only("pk", "connection_id", "object_type", "object_id", "action", "event_type",
                               "received_at")[:limit])
            # Per batch: the flows read once per kind of event, the items made (or folded into) and
            # their tasks sent in a few statements (sync_items_enqueue), the events marked in two updates.
            readers: dict[tuple, list[Flow]] = {}
            triggers, processed, ignored = [], [], []
            for event in batch:
                key = (event.connection_id, event.object_type)
                if key not in readers:
                    readers[key] = flows_reading(connection_id=key[0], object_type=key[1])
                triggers += [_trigger(event, flow) for flow in readers[key]]
                (processed if readers[key] else ignored).append(event.pk)
            sync_items_enqueue(triggers=triggers)
            _events_mark(processed, ignored)
        routed += len(batch)
        if len(batch) < limit:
            return routed


def inbound_events_route_stale(*, now=None) -> int:
    """The sweeper's part: route events whose route task was lost (see STALE_AFTER)."""
    now = now or timezone.now()
    # A flag still set this long after its task was queued: the task was lost. Clear it so the
    # next delivery queues another; route what waited meanwhile here.
    RouteWakeup.objects.filter(queued=True, queued_at__lt=now - STALE_AFTER).update(queued=False, queued_at=None)
    # A connection made without its row (bulk_create skips the post_save signal) gets it here.
    RouteWakeup.objects.bulk_create([RouteWakeup(connection_id=pk) for pk in Connection.objects.filter(
        route_wakeup__isnull=True).values_list("pk", flat=True)], ignore_conflicts=True)
    routed = inbound_events_route_pending(older_than=now - STALE_AFTER)
    if routed:
        logger.warning("Routed %s inbound event(s) that waited over %s s (route task lost, or the queue is "
                       "backed up).", routed, int(STALE_AFTER.total_seconds()))
    return routed

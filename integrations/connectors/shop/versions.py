"""One order version (order id + its updated time), whichever way it arrived.

A webhook delivery and the catch-up poll can bring the same version of an order; only the first
of them starts a sync. Every stored order event carries ``payload["version"]``; a later arrival
of a version already stored is kept but not synced again (receiver.py for deliveries, changes.py
for the poll). An order the poll (or a backfill) read is stored as an InboundEvent like a delivery
(body: the shop's order JSON), because the Order-to-Cash flow reads an order from its stored events.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.connectors.shop.order import ShopOrder
from integrations.models import InboundEvent

E = InboundEvent.Status
#: statuses of an event that started (or will start) a sync of its version: a delivery that was
#: routed or waits for routing, a polled order the poller queued
STARTED = (E.RECEIVED, E.PROCESSED, E.FAILED)
POLL_WAITING = "Read by the catch-up poll; the poller queues it."
POLL_QUEUED = "Read by the catch-up poll (no delivery brought this version); queued by the poller."
BACKFILLED = "Read by a backfill of past orders."


def event_time(value: str) -> datetime | None:
    """An ISO timestamp; one without an offset (WooCommerce's *_gmt fields) is UTC."""
    try:
        parsed = parse_datetime((value or "").strip())
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt_timezone.utc)
    return parsed


def order_version(order: ShopOrder) -> str:
    """``<id>@<updated time in UTC>~<state>``: the same for a delivery and an API read of one version.

    The state part (status, cancelled, fulfilled, total, the refunds' ids and amounts) tells apart two
    changes made within one second: WooCommerce's ``date_modified_gmt`` has whole seconds, so a second
    refund in the same second as the first would otherwise look like a repeat of it and be dropped."""
    stamp = event_time(order.modified_at)
    state = "|".join([order.status, "c" if order.cancelled else "", "f" if order.fulfilled else "", str(order.total),
                      *(f"{r.id}:{r.amount}" for r in order.refunds)])
    digest = hashlib.sha256(state.encode()).hexdigest()[:12]
    return f"{order.id}@{stamp.astimezone(dt_timezone.utc).isoformat() if stamp else order.modified_at}~{digest}"


def order_version_started(connection, order: ShopOrder) -> bool:
    return InboundEvent.objects.filter(connection=connection, object_type="order", object_id=order.id,
                                       payload__version=order_version(order), status__in=STARTED).exists()


def order_read_store(connection, *, order: ShopOrder, body: str, detail: str) -> int:
    """Store an order read from the shop's API as an event of its own (one per version); returns its id."""
    version = order_version(order)
    stamp = event_time(order.modified_at)
    # get_or_create: one read version is one row however often it is read (the unique dedupe key)
    event, _ = InboundEvent.objects.get_or_create(
        connection=connection, dedupe_key=f"{connection.system}:read:{version}"[:200],
        defaults=dict(event_type="api/read", object_type="order", object_id=order.id, body=body,
                      signature_valid=True, status=E.IGNORED, detail=detail, processed_at=timezone.now(),
                      payload={"order": order.to_payload(), "topic": "api/read", "stale": "", "version": version,
                               "event_at": stamp.isoformat() if stamp else ""}))
    return event.pk


def order_reads_mark(event_ids: list[int], *, detail: str) -> None:
    InboundEvent.objects.filter(pk__in=event_ids).update(status=E.PROCESSED, detail=detail,
                                                         processed_at=timezone.now())

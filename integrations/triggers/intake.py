"""Inbound events: store each one once and answer; routing happens in a worker (sync/routing.py).

A webhook request does the least that keeps the promise "nothing accepted is lost": it
verifies the delivery, writes the event row (one ``INSERT … ON CONFLICT`` that also counts
repeats) and makes sure a route task is queued for its connection (``RouteWakeup``).
Routing — finding the enabled flows that read the object, creating or folding their
SyncItems, queueing those — happens in a worker (``inbound_events_route_pending``), in
batches, so the receiver's cost does not grow with the number of flows and the sender gets
its 2xx in a few milliseconds.

An event waits in status "received" until routed. If a route task is ever lost (a crash
between the flag's commit and the send, the broker down), the one-minute sweeper
(``inbound_events_route_stale``) routes what has waited too long and clears the flag.
"""
from __future__ import annotations


from django.db import connections, router
from django.utils import timezone

from integrations.models import Connection, InboundEvent

E = InboundEvent.Status
NOT_ROUTABLE = "Not a change to sync (stored only)."

_FIELDS = ("connection", "dedupe_key", "event_type", "object_type", "object_id", "action", "headers", "body",
            "payload", "signature_valid", "status", "detail", "duplicate_count", "received_at", "processed_at")


def _upsert_sql(quote) -> str:
    """One statement for "store once, count repeats": PostgreSQL and SQLite (3.35+) both speak it."""
    table = quote(InboundEvent._meta.db_table)
    columns = ", ".join(quote(InboundEvent._meta.get_field(name).column) for name in _FIELDS)
    placeholders = ", ".join(["%s"] * len(_FIELDS))
    count, status, processed = quote("duplicate_count"), quote("status"), quote("processed_at")
    # A repeat marked to be routed again (the last parameter) whose first copy was routed already waits
    # for routing once more; any other repeat only counts.
    again = f"%s AND {table}.{status} = '{E.PROCESSED}'"
    return (f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "
            f"ON CONFLICT ({quote('connection_id')}, {quote('dedupe_key')}) "
            f"DO UPDATE SET {count} = {table}.{count} + 1, "
            f"{status} = CASE WHEN {again} THEN '{E.RECEIVED}' ELSE {table}.{status} END, "
            f"{processed} = CASE WHEN {again} THEN NULL ELSE {table}.{processed} END "
            f"RETURNING {quote('id')}, {count}, {status}")


_SQL_CACHE: dict[str, str] = {}


def inbound_event_store(*, connection: Connection, dedupe_key: str, **fields) -> tuple[int, bool]:
    """Store a received event once; a repeat of the same dedupe key only bumps its counter (with
    ``route_repeats``, a repeat of an event already routed also waits to be routed again).

    Returns (event id, created). A routable event waits as "received" for routing; one that is
    not (unknown events, pings, our own echoes, stale retries) is stored as "ignored" with the
    reason, so finance sees why it started nothing. Written with one statement and no model
    instance: this runs once per delivery, at the rate the sender chooses. ``fields``: those of
    _event_upsert.
    """
    event_id, created, _ = _event_upsert(connection=connection, dedupe_key=dedupe_key, **fields)
    return event_id, created


def _event_upsert(
    *, connection: Connection, dedupe_key: str, event_type: str = "", object_type: str = "", object_id: str = "",
    headers: dict | None = None, body: str = "", payload: dict | list | None = None, signature_valid: bool = True,
    action: str = "upsert", routable: bool = True, detail: str = "", route_repeats: bool = False,
) -> tuple[int, bool, bool]:
    """(event id, created, waits to be routed now: new and routable, or a repeat armed again)."""
    now = timezone.now()
    db = connections[router.db_for_write(InboundEvent)]
    sql = _SQL_CACHE.get(db.alias) or _SQL_CACHE.setdefault(db.alias, _upsert_sql(db.ops.quote_name))
    status, reason = (E.RECEIVED, "") if routable else (E.IGNORED, detail or NOT_ROUTABLE)
    stamp = db.ops.adapt_datetimefield_value(now)
    values = {
        "connection": connection.pk, "dedupe_key": dedupe_key[:200], "event_type": event_type[:80],
        "object_type": object_type[:60], "object_id": str(object_id)[:120], "action": action,
        "headers": db.ops.adapt_json_value(headers or {}, None), "body": body,
        "payload": db.ops.adapt_json_value(payload if payload is not None else {}, None),
        "signature_valid": signature_valid, "status": status, "detail": reason, "duplicate_count": 0,
        "received_at": stamp, "processed_at": None if routable else stamp,
    }
    with db.cursor() as cursor:
        cursor.execute(sql, [values[name] for name in _FIELDS] + [bool(route_repeats and routable)] * 2)
        event_id, duplicates, now_status = cursor.fetchone()
    return event_id, not duplicates, routable and now_status == E.RECEIVED


def parsed_events_store(*, connection: Connection, events: list, headers: dict, body: str = "") -> tuple[int, int]:
    """Store each ParsedEvent a receiver (webhook or Pub/Sub stream) made of one delivery; returns
    (new events, events that wait to be routed: new routable ones, and repeats armed again). The caller
    holds the transaction and, once it is committed,
    queues routing when the second number is not 0 (sync.routing.inbound_events_dispatch)."""
    new = to_route = 0
    for parsed in events:
        _, created, waits = _event_upsert(
            connection=connection, dedupe_key=parsed.dedupe_key, event_type=parsed.event_type,
            object_type=parsed.object_type, object_id=parsed.object_id, action=parsed.action, headers=headers,
            body=body, payload=parsed.payload, signature_valid=True, routable=parsed.routable,
            detail=parsed.ignored_because, route_repeats=parsed.route_repeats)
        new += created
        to_route += waits and (created or parsed.route_repeats)
    return new, to_route

"""The shops' change reader for the poller: catch-up of orders updated since the watermark.

Webhooks bring orders as they happen; this reader finds what they missed (a webhook dropped,
refused while Ledgerlink was down past the shop's retries, or a subscription the shop removed),
so a missed webhook costs a poll interval, not an order. Orders are read from the shop's API
(api.py) since the watermark (the newest updated time the shop reported, on the shop's clock)
less SHOP_POLL_OVERLAP_MINUTES. A version of an order already brought by a delivery or an earlier
read is not queued again (versions.py): the reader recognises its own echoes, so the poller
queues every change it gives. An order the poll reads is stored as an event the flow reads;
the poller marks it queued inside its own transaction (``commit``), so a poll that fails before
that leaves the version unstarted and the next poll queues it.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from integrations.connectors.changes import INITIAL_LOOKBACK, Change, ChangeReader, ChangesRead, overlap_of
from integrations.connectors.shop.api import shop_client
from integrations.connectors.shop.versions import (
    BACKFILLED,
    POLL_QUEUED,
    POLL_WAITING,
    event_time,
    order_read_store,
    order_reads_mark,
    order_version,
    order_version_started,
)

PAST = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


class ShopChangeReader(ChangeReader):
    dedupe_by_items = False  # versions.py recognises a version already started
    backfills = True

    def changes_read(self, *, flow, handler, cursor_value: str, now: datetime) -> ChangesRead:
        connection = flow.source_connection
        since = datetime.fromisoformat(cursor_value) if cursor_value else now - INITIAL_LOOKBACK
        changes, stored, unreadable, echoes, newest = [], [], [], 0, since
        for read in shop_client(connection).orders_updated_since(since - overlap_of("SHOP_POLL_OVERLAP_MINUTES")):
            if read.order is None:  # never a reason to stop the others; named in the poll's note
                unreadable.append(f"{read.raw_id or '?'} ({read.error})")
                continue
            stamp = event_time(read.order.modified_at)
            newest = max(newest, stamp) if stamp else newest
            if order_version_started(connection, read.order):
                echoes += 1
                continue
            stored.append(order_read_store(connection, order=read.order, body=read.body, detail=POLL_WAITING))
            version = order_version(read.order)
            changes.append(Change(read.order.id, version, stamp or now, hint={"version": version}))
        note = (f"{len(unreadable)} order(s) could not be read: {'; '.join(unreadable[:5])}." if unreadable else "")
        return ChangesRead(changes=changes, position=newest, capped=False, since=since.isoformat(), echoes=echoes,
                           note=note, commit=lambda: order_reads_mark(stored, detail=POLL_QUEUED))

    def backfill_records(self, *, flow, handler, since: datetime | None) -> Iterator[tuple[str, datetime | None]]:
        connection = flow.source_connection
        for read in shop_client(connection).orders_updated_since(since or PAST):
            if read.order is None:
                continue
            event_id = order_read_store(connection, order=read.order, body=read.body, detail=BACKFILLED)
            order_reads_mark([event_id], detail=BACKFILLED)
            yield read.order.id, event_time(read.order.modified_at)

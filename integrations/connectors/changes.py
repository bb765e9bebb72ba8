"""What a system's change reader gives the one poller (integrations/triggers/polling.py).

A poll of one flow asks its source system's reader for the changes since the flow's cursor;
the poller then queues an item per change (unless already synced or queued), and moves the
cursor once the items are committed. How changes are found differs per system (a
modification-time watermark, an M3 LMTS stamp, open orders whose status is read), so the
reader owns what its cursor value means; the poller owns queuing and committing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

INITIAL_LOOKBACK = timedelta(hours=24)


def overlap_of(setting_name: str) -> timedelta:
    """How far before its watermark a reader reads again (a setting, in minutes).

    A record's modification stamp is taken when its transaction writes it, not when it commits:
    a transaction that commits after a poll read past its stamp (or a change in the watermark's
    own second) is only caught by reading again from a while before the watermark. The poller's
    version check keeps what is read again from being queued twice.
    """
    return timedelta(minutes=getattr(settings, setting_name))


@dataclass(frozen=True)
class Change:
    record_id: str
    version: str
    changed_at: datetime
    action: str = "upsert"
    only_if_linked: bool = False  # a delete of a record Ledgerlink never linked needs no work
    hint: dict = field(default_factory=dict)  # stored on the queued item next to reason "poll"
    received_at: datetime | None = None  # the item's received time when not the time it is queued


@dataclass
class ChangesRead:
    changes: list[Change] = field(default_factory=list)
    #: the cursor's next value; None: only the run is recorded
    position: object = None
    #: whether a datetime position is capped at the poll's start (our clock). False when it is a stamp
    #: of the source system's own clock (a watermark): the cursor then never mixes in our clock.
    capped: bool = True
    since: str = ""  # where this read started, in words for the report
    checked: int = 0  # records read to find the changes, when the reader checks records one by one
    echoes: int = 0  # changes recognised as our own writes coming back, not queued
    note: str = ""
    #: more to save inside the poll's transaction, once the items are queued (e.g. a second cursor)
    commit: Callable[[], None] | None = None


class ChangeReader:
    #: the cursor stream, when not the flow's own poll cursor (None: the poller's default)
    stream: str | None = None
    #: whether a change already synced at this version (or already queued) is recognised by the
    #: flow's sync items; False: the reader recognises its own echoes and every change it gives is queued
    dedupe_by_items: bool = True
    #: whether backfill_records lists every source record (a backfill of any flow reading this source)
    backfills: bool = False
    #: whether backfill_records yields records oldest change first (the backfill cursor can follow each)
    backfill_in_change_order: bool = False
    #: whether a change's version is its modification stamp in whole seconds (changed_at): then two
    #: changes of one record in the same second carry the same version, and a sync that read the record
    #: within that second has not seen the second change (the poller checks when the read began)
    versions_are_second_stamps: bool = False

    def changes_read(self, *, flow, handler, cursor_value: str, now: datetime) -> ChangesRead:
        raise NotImplementedError

    def backfill_records(self, *, flow, handler, since: datetime | None) -> Iterator[tuple[str, datetime | None]]:
        """(record id, change time or None) of every source record changed since ``since`` (all when None)."""
        raise NotImplementedError(f"{type(self).__name__} has no backfill reader.")


class WatermarkReader(ChangeReader):
    """A reader of records changed since a time watermark (to the second, read with an overlap).

    The watermark is the newest change stamp the source reported, on the source's own clock;
    our clock only picks where a flow never polled starts (INITIAL_LOOKBACK before now)."""

    #: the setting holding this reader's overlap in minutes (overlap_of)
    overlap_setting: str = ""
    versions_are_second_stamps = True

    @property
    def overlap(self) -> timedelta:
        return overlap_of(self.overlap_setting)

    def changes_read(self, *, flow, handler, cursor_value: str, now: datetime) -> ChangesRead:
        since = datetime.fromisoformat(cursor_value) if cursor_value else now - INITIAL_LOOKBACK
        changes = list(self.changes_since(flow=flow, handler=handler, since=since - self.overlap, until=now))
        newest = max([since, *(change.changed_at for change in changes)])
        return ChangesRead(changes=changes, position=newest, capped=False, since=since.isoformat())

    def changes_since(self, *, flow, handler, since: datetime, until: datetime) -> Iterator[Change]:
        raise NotImplementedError

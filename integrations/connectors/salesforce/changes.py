"""Salesforce's change reader for the poller: records whose SystemModstamp moved since the
flow's watermark, and the deletes getDeleted reports on a cursor of its own (deletes.py says why).

A delete is queued (action "delete") only for a record Ledgerlink linked, and not when a
delete item for the record already came after the delete happened (the poller checks that):
a delete a change event delivered is not handled a second time.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from integrations.connectors.changes import (
    INITIAL_LOOKBACK,
    Change,
    ChangesRead,
    WatermarkReader,
)
from integrations.connectors.salesforce.deletes import (
    DeletesRead,
    salesforce_deletes_commit,
    salesforce_deletes_read,
)
from integrations.connectors.salesforce.queries import modified_since
from integrations.connectors.salesforce.replication import sf_datetime_parse

def _deleted(read: DeletesRead) -> list[Change]:
    return [Change(r.id, f"deleted {r.at.isoformat() if r.at else ''}", r.at or read.covered, "delete",
                   only_if_linked=True, hint={"version": f"deleted {r.at.isoformat() if r.at else ''}"})
            for r in read.deleted]


class SalesforceChangeReader(WatermarkReader):
    backfills = True
    backfill_in_change_order = True  # modified_since streams oldest change first
    # SystemModstamp is set when a transaction writes, and a long transaction commits later with an
    # older stamp than one a poll already read: minutes of overlap catch it (settings).
    overlap_setting = "SALESFORCE_POLL_OVERLAP_MINUTES"

    def changes_read(self, *, flow, handler, cursor_value: str, now: datetime) -> ChangesRead:
        since = datetime.fromisoformat(cursor_value) if cursor_value else now - INITIAL_LOOKBACK
        # Read first, then write: no transaction stays open across the remote calls.
        changes = list(self.changes_since(flow=flow, handler=handler, since=since - self.overlap, until=now))
        deletes = salesforce_deletes_read(handler, flow, start_default=since, now=now)
        # A record the change read found is there now: a delete of it in the same window was
        # undone (restored), and queuing it would turn the pending change into a delete.
        live = {change.record_id for change in changes}
        gone = [c for c in _deleted(deletes) if c.record_id not in live]
        # The watermark is on Salesforce's clock: the newest SystemModstamp it reported (never our now).
        newest = max([since, *(change.changed_at for change in changes)])
        return ChangesRead(
            changes=changes + gone, position=newest, capped=False, since=since.isoformat(),
            note="Some Salesforce deletes could no longer be read: see Findings." if deletes.gap else "",
            commit=lambda: salesforce_deletes_commit(deletes, flow=flow, now=now),
        )

    def changes_since(self, *, flow, handler, since: datetime, until: datetime) -> Iterator[Change]:
        # The flow's handler says which changed records are its work (e.g. only won deals) and
        # which extra fields it needs to decide that.
        fields = list(handler.poll_fields)
        # No upper bound: SOQL datetimes stop at the second, so "<= until" would drop this second's
        # changes; a record changed while this poll pages is read now or by the next one (its stamp is after
        # the watermark).
        for record in modified_since(handler.sf, flow.source_object, fields, since):
            if not handler.poll_wants(record):
                continue
            stamp = record["SystemModstamp"]
            yield Change(record["Id"], stamp, sf_datetime_parse(stamp), hint={"version": stamp})

    def backfill_records(self, *, flow, handler, since: datetime | None) -> Iterator[tuple[str, datetime | None]]:
        start = since or datetime(2000, 1, 1).astimezone()
        for record in modified_since(handler.sf, flow.source_object, [], start):
            yield record["Id"], sf_datetime_parse(record["SystemModstamp"])

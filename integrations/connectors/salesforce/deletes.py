"""The delete half of a Salesforce poll (the change reader, changes.py, calls it): getDeleted since the flow's own delete cursor.

Why a cursor of its own (stream ``poll-deleted`` of the flow) rather than the SystemModstamp
one: getDeleted windows are whole minutes, and the next window must start at the
``latestDateCovered`` Salesforce answered (deletes still in flight at the window's end come in
the next window), which may lag behind the poll's start; it also reaches back only 15 days.
The SystemModstamp watermark is to the second, capped at the poll's start and read with an
overlap. One shared value would either skip deletes Salesforce had not covered yet or re-read
changes; two cursors each follow their own API's rule, and each advances only when the poll's
items are committed.

Part of a window that can no longer be read (older than 15 days, or the delete log was purged)
becomes a finding asking finance to run reconciliation, which lists linked records missing in
Salesforce; the cursor then goes on from where Salesforce can still answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from integrations.connectors.salesforce.replication import (
    ReplicationGap,
    ReplicationResult,
    utc_minute,
)
from integrations.models import Cursor, Flow
from integrations.cursors import POLL_DELETED, flow_cursor
from monitoring.findings import Found, findings_sync

GAP_CHECK = "salesforce_deletes_unread"


@dataclass
class DeletesRead:
    cursor: Cursor
    deleted: list = field(default_factory=list)  # [Replicated(id, at)]
    covered: datetime | None = None  # latestDateCovered: the next window's start
    gap: ReplicationGap | None = None


def salesforce_deletes_read(handler, flow: Flow, *, start_default: datetime, now: datetime) -> DeletesRead:
    cursor = flow_cursor(flow=flow, stream=POLL_DELETED)
    start = datetime.fromisoformat(cursor.value) if cursor.value else start_default
    read = DeletesRead(cursor=cursor)
    result = None
    for _ in range(3):  # a gap, then from where Salesforce can answer (which may itself have moved on)
        try:
            result = handler.sf.deleted(flow.source_object, start, now)
            break
        except ReplicationGap as gap:
            read.gap = read.gap or gap  # the finding names where the unread part began
            if gap.resume_at is None or gap.resume_at <= start:
                break
            start = gap.resume_at
    # No answer to go on from: go on from now; the finding tells finance to reconcile the part skipped.
    result = result or ReplicationResult(latest_covered=utc_minute(now))
    read.deleted, read.covered = result.records, result.latest_covered
    return read


def salesforce_deletes_commit(read: DeletesRead, *, flow: Flow, now: datetime) -> None:
    """Advance the delete cursor (inside the poll's transaction) and record any gap."""
    read.cursor.value, read.cursor.last_run_at = read.covered.isoformat(), now
    if read.gap is None:  # Salesforce answered for everything up to what it covers: nothing is waiting
        read.cursor.caught_up_at = now
    read.cursor.save(update_fields=["value", "last_run_at", "caught_up_at", "updated_at"])
    if read.gap is None:
        return
    until = read.gap.resume_at or read.covered
    findings_sync(check_name=GAP_CHECK, examined=None, now=now, found=[Found(
        subject=f"flow:{flow.pk}:deletes:{read.gap.start.isoformat()}", flow_id=flow.pk,
        title=f"{flow}: Salesforce {flow.source_object} deletes from {read.gap.start:%Y-%m-%d %H:%M} to "
              f"{until:%Y-%m-%d %H:%M} UTC could not be read",
        explanation=(f"{read.gap.message} Records deleted then may still be linked in Ledgerlink: run reconciliation "
                     "for this flow (it lists linked records missing in Salesforce), then unlink or resync them."),
        details={"start": read.gap.start.isoformat(), "until": until.isoformat(), "object": flow.source_object},
    )])

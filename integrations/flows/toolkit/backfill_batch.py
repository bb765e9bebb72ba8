"""What the batched backfills that read FreshBooks share: the source read in chunks of one
sObject Collections call (200 records, two FreshBooks pages), the chunk's work rows
(SyncItems) decided in memory and saved in one insert, and the engine's per-record locks held
while a chunk is written."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.utils import timezone

from integrations.connectors.salesforce.batch import COLLECTION_LIMIT
from integrations.errors import LockBusy, MappingError, SyncError
from integrations.models import SyncItem
from integrations.sync.backfill import ACTION_OUTCOMES, backfill_cursor
from integrations.sync.engine import STEP_WORDS, failure_outcome
from integrations.sync.handler import WriteResult
from integrations.sync.items import sync_item_enqueue, sync_item_identity
from integrations.locking import binding_lock
from integrations.cursors import cursor_advance

S = SyncItem.Status
#: what a record can fail with and still leave the others of its chunk to go on
RECORD_FAILURES = (SyncError, MappingError)


def freshbooks_backfill(*, flow, api, since, dry_run: bool, summary, progress, total, chunk_run) -> None:
    """Each chunk of the FreshBooks resource through ``chunk_run(records, items)``. FreshBooks
    lists in no change order, so the cursor moves only when the whole run completes; a stopped
    run started again reads everything again and passes over what is done."""
    cursor, started = backfill_cursor(flow), timezone.now()
    for chunk in freshbooks_chunks(api, since=since, total=total):
        chunk_run(chunk, ChunkItems(flow, summary, dry_run))
        progress(len(chunk))
    if not dry_run:
        cursor_advance(cursor=cursor, value=started)


def freshbooks_chunks(api, *, since, total, size: int = COLLECTION_LIMIT) -> Iterator[list[dict]]:
    """The resource's records (changed since ``since``, when given), ``size`` at a time, read
    100 per call; ``total`` is told the count from the first page."""
    search = {"updated_min": since} if since else {}
    chunk, number = [], 1
    while True:
        page = api.list(search=search, include=(), page=number)
        if number == 1:
            total(page.total)
        for record in page.items:
            chunk.append(record)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if not page.items or page.page >= page.pages:
            break
        number += 1
    if chunk:
        yield chunk


class ChunkItems:
    """One chunk's SyncItems: made in memory, each decided once (succeeded, skipped, dead or held,
    as the engine would decide it), then saved in one insert. A record worth another try is
    queued for a worker instead, which retries it alone through the engine."""

    def __init__(self, flow, summary, dry_run: bool):
        self.flow, self.summary, self.dry_run = flow, summary, dry_run
        self.items: list[SyncItem] = []
        self.retries: list[tuple[SyncItem, str]] = []

    def new(self, source_object: str, source_id, snapshot: dict) -> SyncItem:
        source_id = str(source_id)
        item = SyncItem(flow=self.flow, source_object=source_object, source_id=source_id, attempts=1,
                        identity_key=sync_item_identity(flow=self.flow, source_object=source_object, source_id=source_id),
                        hint={"reason": "backfill"}, source_snapshot=snapshot)
        self.items.append(item)
        return item

    def succeeded(self, item: SyncItem, result: WriteResult) -> None:
        item.status, item.target_external_id, item.finished_at = S.SUCCEEDED, result.external_id, timezone.now()
        item.result = {"external_id": result.external_id, "action": result.action, **result.extra}
        self.summary.add(ACTION_OUTCOMES[result.action])

    def failed(self, item: SyncItem, exc: Exception, step: str) -> None:
        status, reason = failure_outcome(exc, step)
        if status == S.RETRYING:
            reason = f"{exc} ({STEP_WORDS[step]}). Queued again: a worker retries it on its own."
            self.retries.append((item, reason))
        item.status, item.last_error, item.finished_at = status, reason, timezone.now()
        item.last_error_class, item.last_error_field = type(exc).__name__, (getattr(exc, "field", "") or "")[:120]
        outcome = {S.SKIPPED: "skipped", S.RETRYING: "queued"}.get(status, "failed")
        self.summary.add(outcome, f"{item.source_id}: {reason}")

    def save(self) -> None:
        if self.dry_run:
            return
        queued = {id(item) for item, _ in self.retries}
        SyncItem.objects.bulk_create([item for item in self.items if id(item) not in queued])
        for item, reason in self.retries:
            again, _ = sync_item_enqueue(flow=self.flow, source_object=item.source_object, source_id=item.source_id,
                                         hint={"reason": "backfill"})
            SyncItem.objects.filter(pk=again.pk).update(last_error=reason, last_error_class=item.last_error_class)


@contextmanager
def chunk_locked(items: ChunkItems, handler, pairs: list[tuple[SyncItem, dict]]):
    """Hold the engine's lock of every record in the chunk while it is decided and written (a
    worker syncing one of them at the same moment would write it too); yields the pairs whose
    lock was free. A record being synced right now is queued again, not written twice."""
    if items.dry_run:
        yield pairs
        return
    with ExitStack() as stack:
        free = []
        for item, record in pairs:
            try:
                # wait=0: a chunk of hundreds of records must not stall on each one being synced now.
                stack.enter_context(binding_lock(handler.lock_key(item), wait=0))
            except LockBusy as exc:
                items.failed(item, exc, "lock")
                continue
            free.append((item, record))
        yield free

"""Tasks that died with a worker the supervisor killed (a restart, or SIGTERM's deadline).

A running sync item's task is not sent again: the item is RUNNING under a lease, and the
engine's claim will not take it until the sweeper has counted the lost attempt. Its lease is
only a guess at whether the worker still lives; here it is known dead, so the lease ends now and
the sweeper, run straight after, puts the item back in the queue. Any other task (a route, a
poll, an item the worker had not claimed yet) is sent again as it was: each is idempotent (the
claim runs an item once). Either way its old copy in the broker is acknowledged.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from integrations.sync.sweeper import sync_items_dispatch_due, sync_items_pending_redispatch, sync_items_worker_lost

logger = logging.getLogger(__name__)

SYNC_ITEM_TASK = "integrations.tasks.sync_item_process"


def lost_tasks_recover(lost: list[dict], broker) -> dict:
    def item_id(entry):
        return entry["args"][0] if entry["func"] == SYNC_ITEM_TASK and entry["args"] else None

    released = sync_items_worker_lost([item_id(e) for e in lost if item_id(e)]) if lost else set()
    resend = [entry for entry in lost if item_id(entry) not in released]  # other tasks; items not claimed yet
    for entry in resend:
        broker.enqueue(entry["payload"])
    for entry in lost:
        if entry["ack_id"] is not None:
            broker.acknowledge(entry["ack_id"])
    swept = sync_items_dispatch_due() if released else {}
    if lost:
        logger.warning("%s task(s) died with their worker: %s sync item(s) put back in the queue, %s task(s) "
                       "sent again.", len(lost), len(released), len(resend))
    return {"items": len(released), "resent": len(resend), "sweep": swept}


# A task a dead pusher popped from Redis may have left no trace; items queued this long before
# its replacement was noted are sent again (a second task for an item is a no-op at the claim).
PUSHER_DEATH_MARGIN_SECONDS = 1.0


def pusher_death_recover(*, deaths: list[float], orphans: list[dict], broker) -> dict:
    """A pusher died: send again what it may have taken with it (see ledger.py, deaths/)."""
    for entry in orphans:
        broker.enqueue(entry["payload"])
        if entry.get("ack_id") is not None:
            broker.acknowledge(entry["ack_id"])
    redispatched = 0
    if deaths:
        due_before = datetime.fromtimestamp(max(deaths) + PUSHER_DEATH_MARGIN_SECONDS, tz=UTC)
        redispatched = sync_items_pending_redispatch(due_before=due_before)
    if orphans or redispatched:
        logger.warning("A pusher died: %s task(s) it had taken sent again, %s pending sync item(s) queued again.",
                       len(orphans), redispatched)
    return {"orphans": len(orphans), "redispatched": redispatched}

"""Tasks that died with a worker the supervisor killed (a restart, or SIGTERM's deadline).

A sync item's task is not sent again: the item is RUNNING under a lease, and the engine's claim
will not take it until the sweeper has counted the lost attempt. Its lease is only a guess at
whether the worker still lives; here it is known dead, so the lease ends now and the sweeper,
run straight after, puts the item back in the queue. Any other task (a route, a poll) is sent
again as it was; they are idempotent. Either way its old copy in the broker is acknowledged.
"""
from __future__ import annotations

import logging

from integrations.sync.sweeper import sync_items_dispatch_due, sync_items_worker_lost

logger = logging.getLogger(__name__)

SYNC_ITEM_TASK = "integrations.tasks.sync_item_process"


def lost_tasks_recover(lost: list[dict], broker) -> dict:
    item_ids = [entry["args"][0] for entry in lost if entry["func"] == SYNC_ITEM_TASK and entry["args"]]
    others = [entry for entry in lost if entry["func"] != SYNC_ITEM_TASK]
    for entry in others:
        broker.enqueue(entry["payload"])
    for entry in lost:
        if entry["ack_id"] is not None:
            broker.acknowledge(entry["ack_id"])
    released = sync_items_worker_lost(item_ids) if item_ids else 0
    swept = sync_items_dispatch_due() if released else {}
    if lost:
        logger.warning("%s task(s) died with their worker: %s sync item(s) put back in the queue, %s other task(s) "
                       "sent again.", len(lost), released, len(others))
    return {"items": released, "resent": len(others), "sweep": swept}

"""How many calls to one connection's system run at once, across every worker on every machine.

Sixteen workers syncing one FreshBooks account would otherwise hit its rate limit together. Each
connection has N call slots (``connection_slots_limit``: the connection's ``max_concurrent_calls``
setting, else CONNECTION_CONCURRENCY_DEFAULTS for its system); a call takes a free one for its
duration. A slot is a lease row like the per-record locks (integrations/locking.py, so it holds
behind PgBouncer and across clusters), leased for the HTTP timeout plus a margin: a worker that dies
mid-call frees its slot when that runs out. No free slot within CONNECTION_SLOT_WAIT_SECONDS raises
SlotBusy, a LockBusy: the engine puts the item back in the queue without counting an attempt.
"""
from __future__ import annotations

import random
import time
import uuid
from contextlib import contextmanager

from django.conf import settings

from integrations.errors import LockBusy
from integrations.locking import lease_release, lease_try, lock_holder_id


class SlotBusy(LockBusy):
    """Every call slot of the connection stayed taken for the whole wait."""


def connection_slots_limit(connection) -> int:
    """The connection's own ``max_concurrent_calls`` setting (a positive whole number), else its system's default."""
    own = (connection.settings or {}).get("max_concurrent_calls")
    if isinstance(own, int) and not isinstance(own, bool) and own > 0:
        return own
    return int(settings.CONNECTION_CONCURRENCY_DEFAULTS.get(connection.system,
                                                            settings.CONNECTION_CONCURRENCY_DEFAULT))


@contextmanager
def connection_slot(connection, *, wait: float | None = None):
    """Hold one of the connection's call slots while the block runs (one remote call)."""
    limit = connection_slots_limit(connection)
    holder = f"{lock_holder_id()}:{uuid.uuid4().hex[:12]}"
    lease = settings.HTTP_TIMEOUT_SECONDS + settings.CONNECTION_SLOT_LEASE_MARGIN_SECONDS
    deadline = time.monotonic() + (settings.CONNECTION_SLOT_WAIT_SECONDS if wait is None else wait)
    pause, start = 0.01, random.randrange(limit)  # callers start at different slots: fewer collisions
    while True:
        for n in range(limit):
            key = f"slot:{connection.pk}:{(start + n) % limit}"
            if lease_try(key, holder, seconds=lease):
                try:
                    yield
                finally:
                    lease_release(key, holder)
                return
        left = deadline - time.monotonic()
        if left <= 0:
            raise SlotBusy(f"All {limit} call slots of {connection.name} stayed busy; this item runs again shortly.",
                           retry_after=settings.SYNC_LOCK_REQUEUE_SECONDS)
        time.sleep(min(pause, left))  # polling the slots: a lease has no waiter to wake
        pause = min(pause * 2, 0.1)

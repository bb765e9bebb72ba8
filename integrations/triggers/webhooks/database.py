"""A webhook's writes check the database connection by using it, not with a statement before.

With CONN_HEALTH_CHECKS on (PostgreSQL, config/settings.py), Django runs ``SELECT 1`` before the
first query of every request on a reused connection: one more round trip on a path that makes
only two (the event's INSERT and the route flag's UPDATE), a quarter of a delivery's database
time. Here the INSERT itself is the check: when it fails because the connection died (the server
restarted, a pooler dropped it), the connection is closed and the writes run once more on a fresh
one, which is what the health check would have done. A write that fails on a live connection is
raised as before. Inside a transaction nothing is retried (the caller's transaction is gone).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError

T = TypeVar("T")


def writes_checking_connection_by_use(db, work: Callable[[bool], T]) -> T:
    """Run ``work(retried)`` on ``db`` (a Django connection) without its per-request health check;
    once more with ``retried=True`` on a fresh connection if the reused one turned out dead."""
    # Django's own flags (BaseDatabaseWrapper): a reused connection not yet checked this request.
    unchecked = (db.connection is not None and db.health_check_enabled and not db.health_check_done
                 and not db.in_atomic_block)
    if not unchecked:
        return work(False)
    db.health_check_done = True
    try:
        return work(False)
    except (OperationalError, InterfaceError):
        if db.in_atomic_block or db.is_usable():
            raise
    db.close()
    return work(True)

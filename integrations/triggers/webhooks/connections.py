"""The connection a webhook names, read from the database at most every few seconds per process.

A burst of deliveries (a FreshBooks bulk import, a Salesforce data load) would otherwise read
the same Connection row thousands of times, and that read is a large part of the receiver's
cost. A copy is kept for ``WEBHOOK_CONNECTION_CACHE_SECONDS`` (default 5; 0 reads every time).

A cached copy never costs a valid delivery: when it rejects one (a verifier or secret just
rotated, the account changed), the receiver reads the connection again and decides on the
fresh copy. What a cached copy can do is accept deliveries for up to that many seconds after
the connection was deactivated; they are stored like any other, nothing is lost.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.http import Http404

from integrations.models import Connection

_CACHE: dict[tuple[int, str], tuple[float, Connection]] = {}


def webhook_connection(pk: int, system: str, *, fresh: bool = False) -> tuple[Connection, bool]:
    """(active connection of this system, whether it came from the cache); Http404 when none."""
    ttl = settings.WEBHOOK_CONNECTION_CACHE_SECONDS
    key, now = (int(pk), system), time.monotonic()
    if ttl > 0 and not fresh:
        hit = _CACHE.get(key)
        if hit and now - hit[0] < ttl:
            return hit[1], True
    connection = Connection.objects.filter(pk=pk, system=system, is_active=True).first()
    if connection is None:
        _CACHE.pop(key, None)
        raise Http404(f"No active {system} connection {pk}.")
    if ttl > 0:
        _CACHE[key] = (now, connection)
    return connection, False

"""Single-flight refresh of a FreshBooks token (a refresh token dies on first use).

PostgreSQL: the platform's ``connection_token_refresh`` (a row lock on the Connection; a
worker that waited for it finds the new token and uses it instead of refreshing again).

SQLite: SQLite's lock is database-wide, so holding it across the token request would lock
out the server that answers it whenever that server writes to the same database — which
is exactly the embedded default, where the FreshBooks simulator runs inside Ledgerlink.
There a lease row (the engine's SQLite lock) marks the refresh in flight and no
transaction stays open during the HTTP call; a worker that finds the lease taken waits
for it to be released, then re-reads the token.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.db import connection as db
from django.utils import timezone

from ...errors import AuthError, LockBusy, RetryableError
from ...models import Connection
from ...sync.locking import binding_lock
from ..base import connection_auth_failed, connection_token_refresh, connection_tokens_store
from .oauth import token_refresh

POLL_SECONDS = 0.05


def freshbooks_token_refresh(*, connection: Connection, stale_access_token: str | None) -> Connection:
    if db.vendor == "postgresql":
        return connection_token_refresh(connection=connection, stale_access_token=stale_access_token,
                                        refresh=token_refresh)
    deadline = time.monotonic() + 2 * settings.HTTP_TIMEOUT_SECONDS
    while True:
        try:
            with binding_lock(f"freshbooks-token-refresh:{connection.pk}"):
                _refresh_unless_done(connection, stale_access_token)
                return connection
        except LockBusy:
            if time.monotonic() > deadline:
                raise RetryableError("Another worker is refreshing the FreshBooks token and has not finished; "
                                     "will retry.", retry_after=5) from None
            time.sleep(POLL_SECONDS)  # waiting for the other worker's refresh to finish


def _refresh_unless_done(connection: Connection, stale: str | None) -> None:
    connection.refresh_from_db()
    current = connection.get_secret("access_token")
    expired = connection.token_expires_at is not None and connection.token_expires_at <= timezone.now()
    if current and current != stale and not expired:
        return  # someone else refreshed while we waited
    try:
        connection_tokens_store(connection=connection, tokens=token_refresh(connection))
    except AuthError as exc:
        connection_auth_failed(connection=connection, reason=exc.message)
        raise

"""Single-flight session refresh for a Salesforce connection.

PostgreSQL: the shared ``connection_token_refresh`` (row lock on the Connection).
SQLite: that function holds a write transaction across the token request; when the token
endpoint is the in-process simulator (same database) its own writes would wait for that
transaction — a deadlock until the busy timeout. So on SQLite the refresh is serialised by
a lease lock (no open transaction) and a waiting worker re-reads the token the winner stored.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.db import connection as db

from ...errors import AuthError, LockBusy
from ...models import Connection
from ...sync.locking import binding_lock
from ..base import connection_auth_failed, connection_token_refresh, connection_tokens_store
from .oauth import token_fetch


def session_refresh(*, connection: Connection, stale_access_token: str | None) -> Connection:
    if db.vendor == "postgresql":
        return connection_token_refresh(connection=connection, stale_access_token=stale_access_token,
                                         refresh=token_fetch)
    deadline = time.monotonic() + settings.SALESFORCE_REFRESH_WAIT_SECONDS
    while True:
        try:
            with binding_lock(f"salesforce-token-refresh:{connection.pk}"):
                return _refresh_unless_done(connection, stale_access_token)
        except LockBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # another worker is refreshing: wait for its token


def _refresh_unless_done(connection: Connection, stale_access_token: str | None) -> Connection:
    connection.refresh_from_db()
    current = connection.get_secret("access_token")
    if current and current != stale_access_token:
        return connection  # refreshed by someone else meanwhile
    try:
        tokens = token_fetch(connection)
    except AuthError as exc:
        connection_auth_failed(connection=connection, reason=str(exc))
        raise
    return connection_tokens_store(connection=connection, tokens=tokens)

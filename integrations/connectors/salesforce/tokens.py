"""Single-flight session refresh for a Salesforce connection (see connectors.base)."""
from __future__ import annotations

from ...models import Connection
from ..base import connection_token_refresh
from .oauth import token_fetch


def session_refresh(*, connection: Connection, stale_access_token: str | None) -> Connection:
    return connection_token_refresh(connection=connection, stale_access_token=stale_access_token, refresh=token_fetch)

"""Single-flight session refresh for a Salesforce connection (see connectors.base)."""
from __future__ import annotations

from integrations.connectors.base import connection_token_refresh
from integrations.connectors.salesforce.oauth import token_fetch
from integrations.models import Connection


def session_refresh(*, connection: Connection, stale_access_token: str | None) -> Connection:
    return connection_token_refresh(connection=connection, stale_access_token=stale_access_token, refresh=token_fetch)

"""Single-flight refresh of a FreshBooks token: a refresh token dies on first use, so two
workers must never both spend it (see connectors.base.connection_token_refresh)."""
from __future__ import annotations

from integrations.connectors.base import connection_token_refresh
from integrations.connectors.freshbooks.oauth import token_refresh
from integrations.models import Connection


def freshbooks_token_refresh(*, connection: Connection, stale_access_token: str | None) -> Connection:
    return connection_token_refresh(connection=connection, stale_access_token=stale_access_token, refresh=token_refresh)

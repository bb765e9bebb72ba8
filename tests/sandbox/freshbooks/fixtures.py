"""A simulated FreshBooks business served over real HTTP, and a Ledgerlink connection to it.

Shared by the connector tests and the simulator tests (imported by their conftest files).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings

from integrations.models import Connection
from integrations.sandbox.freshbooks.models import SimAccount, SimApp, SimUser
from integrations.sandbox.freshbooks.seed import sandbox_account_create, sandbox_app_create, sandbox_user_create
from integrations.sandbox.freshbooks.views_auth import token_issue


@dataclass
class Sandbox:
    root: str  # .../sandbox/freshbooks/  (what FRESHBOOKS_API_URL points at, with a slash)
    app: SimApp
    user: SimUser
    account: SimAccount

    def url(self, path: str) -> str:
        return self.root + path.lstrip("/")

    def token(self, scope: str | None = None):
        """A token granted what "Connect FreshBooks" asks for (FRESHBOOKS_SCOPES), or ``scope``."""
        return token_issue(app=self.app, user=self.user,
                           scope=" ".join(settings.FRESHBOOKS_SCOPES) if scope is None else scope)

    def connection(self, *, name: str = "FreshBooks test", with_tokens: bool = True, scope: str | None = None) -> Connection:
        connection = Connection(name=name, system="freshbooks", is_sandbox=True, base_url=self.root, auth_url=self.root,
                                client_id=self.app.client_id,
                                settings={"account_id": self.account.account_id, "redirect_uri": "https://ll.example/cb"})
        connection.set_secrets(client_secret=self.app.client_secret)
        if with_tokens:
            token = self.token(scope)
            connection.set_secrets(access_token=token.access_token, refresh_token=token.refresh_token)
            connection.token_expires_at = token.expires_at
            connection.token_state = Connection.TokenState.VALID
        connection.save()
        return connection


# The redirect URIs the tests' app registers (https, no query string: the simulator is strict).
REDIRECT_URIS = ["https://ledgerlink.example/connect/complete/freshbooks/", "https://ledgerlink.example/callback",
                 "https://ll.example/cb", "https://example.com/cb", "https://x.example/cb"]


def sandbox_make(live_server, *, email: str = "owner@fb.example") -> Sandbox:
    app = sandbox_app_create(client_id=f"app-{email}", client_secret="s3cret-value",
                             redirect_uris=" ".join(REDIRECT_URIS))
    user = sandbox_user_create(email=email, first_name="Sam", last_name="Owner")
    account = sandbox_account_create(name="Test Books Inc", owner=user)
    return Sandbox(root=f"{live_server.url}/sandbox/freshbooks/", app=app, user=user, account=account)


@pytest.fixture
def fb(live_server) -> Sandbox:
    return sandbox_make(live_server)


@pytest.fixture
def fb_connection(fb) -> Connection:
    return fb.connection()


@pytest.fixture
def fb_client(fb_connection):
    from integrations.connectors.freshbooks.client import FreshBooksClient

    client = FreshBooksClient(fb_connection)
    yield client
    client.session.close()  # end the live server's keep-alive thread while the test database is still there

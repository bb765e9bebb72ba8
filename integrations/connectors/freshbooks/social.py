"""“Connect FreshBooks”: a social-auth-app-django OAuth2 backend that connects a Connection.

It does not sign anybody in. The admin opens /integrations/freshbooks/<id>/connect/ (the
connection id is kept in the session), social-auth sends them to FreshBooks' authorize page
(the real one, or the simulator's for sandbox connections: the URLs come from the
Connection), and on return the code is exchanged through our logged token client; the
pipeline below stores the tokens encrypted on the Connection, chooses the business and
registers the webhook callbacks, then returns to the connection's admin page.
"""
from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from social_core.backends.oauth import BaseOAuth2
from social_core.exceptions import SocialAuthBaseException

from config.staff_views import PermissionRequiredBackend
from integrations.connectors.freshbooks.oauth import (
    FreshBooksAuthClient,
    api_root,
    auth_root,
    connection_scopes,
    tokens_from_body,
)
from integrations.errors import SyncError
from integrations.models import Connection

SESSION_KEY = "freshbooks_connection_id"


def connection_admin_url(connection_id) -> str:
    return reverse("admin:integrations_connection_change", args=[connection_id])


class FreshBooksOAuth2(PermissionRequiredBackend, BaseOAuth2):
    name = "freshbooks"
    required_permission = "integrations.connect_connection"  # connecting replaces the connection's tokens
    AUTHORIZATION_URL = "https://auth.freshbooks.com/oauth/authorize"
    ACCESS_TOKEN_URL = "https://api.freshbooks.com/auth/oauth/token"
    REVOKE_TOKEN_URL = "https://api.freshbooks.com/auth/oauth/revoke"
    ACCESS_TOKEN_METHOD = "POST"
    SCOPE_SEPARATOR = " "
    REDIRECT_STATE = False  # FreshBooks redirect URIs may not carry a query string
    STATE_PARAMETER = True

    def connection(self) -> Connection:
        pk = self.strategy.session_get(SESSION_KEY)
        connection = Connection.objects.filter(pk=pk, system="freshbooks").first() if pk else None
        if connection is None:
            raise SocialAuthBaseException("Start from a FreshBooks connection's “Connect FreshBooks” button.")
        return connection

    # Endpoints and credentials come from the Connection (sandbox connections use the simulator).
    def authorization_url(self) -> str:
        return f"{auth_root(self.connection())}oauth/authorize"

    def access_token_url(self) -> str:
        return f"{api_root(self.connection())}auth/oauth/token"

    def get_key_and_secret(self) -> tuple[str, str]:
        connection = self.connection()
        return connection.client_id, connection.get_secret("client_secret") or ""

    def get_scope(self) -> list[str]:
        return connection_scopes(self.connection())

    def request_access_token(self, url, method="POST", headers=None, data=None, json=None, auth=None, params=None, **kw):
        """The code exchange goes through our HTTP client, so it is logged like every call."""
        client = FreshBooksAuthClient(self.connection())
        return client.request("POST", "auth/oauth/token", operation="oauth.code_exchange", data=data, ok=(200,)).json()

    def auth_complete(self, *args, **kwargs):
        try:
            return super().auth_complete(*args, **kwargs)
        except (SyncError, SocialAuthBaseException) as exc:
            request = self.strategy.request
            pk = self.strategy.session_get(SESSION_KEY)
            messages.error(request, f"FreshBooks was not connected: {getattr(exc, 'message', None) or exc}")
            return self.strategy.redirect(connection_admin_url(pk) if pk else reverse("admin:index"))

    def do_auth(self, access_token, *args, **kwargs):
        kwargs.update({"backend": self, "response": kwargs.get("response") or {}})
        return self.strategy.authenticate(*args, **kwargs)


def connection_connect(backend, response, *args, **kwargs):
    """The whole pipeline of this backend (SOCIAL_AUTH_FRESHBOOKS_PIPELINE)."""
    from integrations.connectors.freshbooks.services import (
        freshbooks_connection_connect,
    )

    connection = backend.connection()
    chosen = freshbooks_connection_connect(connection=connection, tokens=tokens_from_body(response),
                                           redirect_uri=backend.get_redirect_uri())
    messages.success(backend.strategy.request,
                     f"FreshBooks connected: “{chosen['name']}” (account {chosen['account_id']}). Webhook callbacks "
                     "are being registered and verified in the background.")
    backend.strategy.session_pop(SESSION_KEY)
    return backend.strategy.redirect(connection_admin_url(connection.pk))

""""Connect Salesforce" through social-auth-app-django's Salesforce backends.

The backends are social-core's own (production login.salesforce.com, sandbox
test.salesforce.com) plus My Domain and the simulator, whose hosts come from the
Connection's auth URL. Key and secret come from the Connection being connected (its id is
kept in the session by the start view), PKCE is on, and the pipeline does not log anyone
in: it stores the tokens encrypted on the Connection and returns to its admin page.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.backends.salesforce import SalesforceOAuth2, SalesforceOAuth2Sandbox
from social_core.exceptions import AuthException

from config.outbound_urls import OutboundURLRefused, outbound_url_check
from config.staff_views import PermissionRequiredBackend
from integrations.connectors.base import connection_tokens_store
from integrations.connectors.salesforce.oauth import (
    DEFAULT_SCOPE,
    auth_root,
    token_set_from_response,
)
from integrations.errors import AuthError, SyncError
from integrations.models import Connection

SESSION_KEY = "salesforce_connection_id"
PIPELINE = ("integrations.connectors.salesforce.social.connection_tokens_save",)


class _ConnectBackend(PermissionRequiredBackend):
    """Credentials and pipeline per Connection, not per deployment setting."""

    required_permission = "integrations.connect_connection"  # connecting replaces the connection's tokens

    # Salesforce matches the callback URL exactly: no redirect_state query on it (state is sent).
    REDIRECT_STATE = False

    def connection(self) -> Connection:
        connection = Connection.objects.filter(pk=self.strategy.session_get(SESSION_KEY), system="salesforce").first()
        if connection is None:  # a clear message, not a 500, for a flow not started from the button
            raise AuthException(self, "Start from a Salesforce connection's “Connect Salesforce” button.")
        return connection

    def get_key_and_secret(self):
        connection = self.connection()
        return connection.client_id, connection.get_secret("client_secret", "")

    def get_scope(self):
        return DEFAULT_SCOPE.split()

    def request(self, url, *args, **kwargs):
        # social-core calls requests itself (the code exchange), outside our HttpClient: the
        # outbound URL rule is checked here before anything is sent.
        try:
            outbound_url_check(url, field="The Salesforce token URL")
        except OutboundURLRefused as exc:
            raise AuthError(str(exc)) from None
        return super().request(url, *args, **kwargs)

    def auth_complete(self, *args, **kwargs):
        try:
            return super().auth_complete(*args, **kwargs)
        except SyncError as exc:
            pk = self.strategy.session_get(SESSION_KEY)
            messages.error(self.strategy.request, f"Salesforce was not connected: {exc.message}")
            return self.strategy.redirect(reverse("admin:integrations_connection_change", args=[pk]) if pk
                                          else reverse("admin:index"))

    def pipeline(self, pipeline, pipeline_index=0, *args, **kwargs):
        # Always our one step, whatever SOCIAL_AUTH_PIPELINE says: connecting a system must
        # never log a user in or associate a social account.
        return super().pipeline(list(PIPELINE), 0, *args, **kwargs)


class _HostFromConnection(_ConnectBackend):
    def authorization_url(self) -> str:
        return f"{auth_root(self.connection())}/services/oauth2/authorize"

    def access_token_url(self) -> str:
        return f"{auth_root(self.connection())}/services/oauth2/token"

    def revoke_token_url(self, token, uid) -> str:
        return f"{auth_root(self.connection())}/services/oauth2/revoke"


class SalesforceConnect(_ConnectBackend, SalesforceOAuth2, BaseOAuth2PKCE):
    name = "salesforce-connect"


class SalesforceSandboxConnect(_ConnectBackend, SalesforceOAuth2Sandbox, BaseOAuth2PKCE):
    name = "salesforce-sandbox-connect"


class SalesforceMyDomainConnect(_HostFromConnection, SalesforceOAuth2, BaseOAuth2PKCE):
    name = "salesforce-mydomain-connect"
    title = "Salesforce (My Domain)"


class SalesforceSimulatorConnect(_HostFromConnection, SalesforceOAuth2, BaseOAuth2PKCE):
    name = "salesforce-simulator-connect"
    title = "Salesforce (Ledgerlink simulator)"


def connect_backend_name(connection: Connection) -> str:
    if connection.is_sandbox:
        return SalesforceSimulatorConnect.name
    host = urlsplit(auth_root(connection)).hostname
    return {"login.salesforce.com": SalesforceConnect.name,
            "test.salesforce.com": SalesforceSandboxConnect.name}.get(host, SalesforceMyDomainConnect.name)


def connection_tokens_save(backend, response, *args, **kwargs):
    """Pipeline step: the token response goes onto the Connection; back to its admin page."""
    connection = backend.connection()
    connection_tokens_store(connection=connection, tokens=token_set_from_response(connection=connection, body=response))
    backend.strategy.session_pop(SESSION_KEY)
    return HttpResponseRedirect(reverse("admin:integrations_connection_change", args=[connection.pk])
                                + "?connected=salesforce")

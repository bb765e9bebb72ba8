"""FreshBooks OAuth 2.0: authorize URL, code exchange, single-use refresh, revoke, identity.

Endpoints (API reference §1): authorize on the auth host (`<auth>/oauth/authorize`), token
and revoke on the API host (`<api>/auth/oauth/token`, `<api>/auth/oauth/revoke`), identity
at `<api>/auth/api/v1/users/me`. Expiry is `created_at + expires_in`. A refresh token dies on
first use, so refreshing goes through the single-flight `connection_token_refresh`.
"""
from __future__ import annotations

from urllib.parse import urlencode

import requests
from django.conf import settings

from integrations.connectors.base import HttpClient, TokenSet
from integrations.connectors.freshbooks.errors import (
    problem_from_response,
    problem_sentence,
)
from integrations.errors import AuthError, FatalError
from integrations.models import Connection

API_ROOT = "https://api.freshbooks.com/"
AUTH_ROOT = "https://auth.freshbooks.com/"


def _root(value: str, default: str) -> str:
    value = value or default
    return value if value.endswith("/") else value + "/"


def api_root(connection: Connection) -> str:
    return _root(connection.base_url, API_ROOT)


def auth_root(connection: Connection) -> str:
    return _root(connection.auth_url or connection.base_url, AUTH_ROOT)


def connection_scopes(connection: Connection) -> list[str]:
    """The scopes "Connect FreshBooks" asks for: the connection's own list, else FRESHBOOKS_SCOPES.
    One scope FreshBooks does not know (or the app does not enable) rejects the whole consent."""
    return list(connection.settings.get("scopes") or settings.FRESHBOOKS_SCOPES)


def authorize_url(connection: Connection, *, redirect_uri: str, state: str) -> str:
    query = {"client_id": connection.client_id, "response_type": "code", "redirect_uri": redirect_uri,
             "scope": " ".join(connection_scopes(connection)), "state": state}
    return f"{auth_root(connection)}oauth/authorize?{urlencode(query)}"


class FreshBooksAuthClient(HttpClient):
    """Calls to the token endpoints (logged like every other call; no bearer token)."""

    system = "freshbooks"

    def base_url(self) -> str:
        return api_root(self.connection)

    def error_from_response(self, response: requests.Response) -> str:
        return problem_sentence(problem_from_response(response), status=response.status_code, action="signing in")

    def classify(self, response: requests.Response) -> Exception:
        if response.status_code in (400, 401):  # invalid_grant / invalid_client: only a reconnect helps
            message = self.error_from_response(response)
            return AuthError(f"{message.rstrip('.')}. Reconnect FreshBooks from the connection's page in the admin.",
                             http_status=response.status_code)
        return super().classify(response)

    def token_request(self, params: dict, *, operation: str) -> TokenSet:
        secret = self.connection.get_secret("client_secret")
        if not self.connection.client_id or not secret:
            raise AuthError("The FreshBooks connection has no client id or client secret; enter them in the admin.")
        body = {"client_id": self.connection.client_id, "client_secret": secret, **params}
        response = self.request("POST", "auth/oauth/token", operation=operation, data=body, ok=(200,))
        return tokens_from_body(response.json())


def tokens_from_body(body: dict) -> TokenSet:
    if not isinstance(body, dict) or not body.get("access_token"):
        raise FatalError("FreshBooks answered the token request without an access token.")
    return TokenSet.from_expires_in(body["access_token"], body.get("refresh_token"), expires_in=body.get("expires_in"),
                                    created_at=body.get("created_at"), token_scope=body.get("scope", ""))


def code_exchange(connection: Connection, *, code: str, redirect_uri: str) -> TokenSet:
    """Trade an authorization code (valid five minutes, once) for the first token pair."""
    return FreshBooksAuthClient(connection).token_request(
        {"grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code}, operation="oauth.code_exchange")


def token_refresh(connection: Connection) -> TokenSet:
    """One refresh with the stored refresh token. Call only through connection_token_refresh."""
    refresh = connection.get_secret("refresh_token")
    if not refresh:
        raise AuthError("The FreshBooks connection has no refresh token; reconnect FreshBooks in the admin.")
    params = {"grant_type": "refresh_token", "refresh_token": refresh,
              "redirect_uri": connection.settings.get("redirect_uri", "")}
    return FreshBooksAuthClient(connection).token_request(params, operation="oauth.refresh")


def token_revoke(connection: Connection) -> None:
    token = connection.get_secret("refresh_token") or connection.get_secret("access_token")
    if token:
        FreshBooksAuthClient(connection).request("POST", "auth/oauth/revoke", operation="oauth.revoke",
                                                 data={"token": token}, ok=(200,))


def business_choose(identity: dict, *, account_id: str = "") -> dict:
    """The business to work in: the configured account, else the only (or first owned) one.

    A user who is only a client of a business has a membership with no account_id; such
    memberships cannot be synced and are skipped.
    """
    options = [
        {"account_id": m["business"]["account_id"], "business_id": m["business"]["id"],
         "business_uuid": m["business"].get("business_uuid", ""), "name": m["business"].get("name", ""),
         "role": m.get("role", "")}
        for m in identity.get("business_memberships") or []
        if (m.get("business") or {}).get("account_id")
    ]
    if not options:
        raise FatalError("This FreshBooks user has no business with an accounting account (a client-only login?). "
                         "Connect with the business owner's or an accountant's login.")
    if account_id:
        for option in options:
            if option["account_id"] == account_id:
                return option
        names = ", ".join(f"{o['name']} ({o['account_id']})" for o in options)
        raise FatalError(f"The FreshBooks account {account_id} is not one this login can use; it can use: {names}.")
    owned = [o for o in options if o["role"] in ("owner", "business_partner", "business_manager", "business_accountant")]
    return (owned or options)[0]

"""Salesforce OAuth 2.0 for a Connection: the web-server flow with PKCE, the refresh-token
grant (simple-salesforce has none), JWT bearer and client credentials for server-to-server.

Token responses have no expires_in: a token is used until a call answers 401
INVALID_SESSION_ID, then ``token_fetch`` gets a new one (single-flight, see client.py). With
refresh-token rotation the response carries a new refresh token, which replaces the old.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode, urlsplit

import jwt
import requests

from config.outbound_urls import OutboundURLRefused, outbound_url_check
from integrations.connectors.base import HttpClient, TokenSet
from integrations.errors import AuthError, FatalError, RetryableError
from integrations.models import Connection

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_SCOPE = "api refresh_token id"


class OAuthHttp(HttpClient):
    """Token endpoint calls: errors are ``{"error", "error_description"}``."""

    system = "salesforce"

    def base_url(self) -> str:
        return auth_root(self.connection)

    def classify(self, response: requests.Response) -> Exception:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("error") and response.status_code < 500:
            return AuthError(f"Salesforce refused the sign-in ({body['error']}: {body.get('error_description', '')}). "
                             "Reconnect Salesforce or check the connected app's settings.",
                             http_status=response.status_code)
        return super().classify(response)


def auth_root(connection: Connection) -> str:
    return (connection.auth_url or "https://login.salesforce.com").rstrip("/")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for S256 PKCE."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_url(*, connection: Connection, redirect_uri: str, state: str, code_challenge: str,
                  scope: str = DEFAULT_SCOPE) -> str:
    query = {"response_type": "code", "client_id": connection.client_id, "redirect_uri": redirect_uri,
             "state": state, "scope": scope, "code_challenge": code_challenge, "code_challenge_method": "S256"}
    return f"{auth_root(connection)}/services/oauth2/authorize?{urlencode(query)}"


def token_set_from_response(*, connection: Connection, body: dict) -> TokenSet:
    """A token response → TokenSet; checks the identity signature when the secret is known."""
    if not isinstance(body, dict) or not body.get("access_token") or not body.get("instance_url"):
        raise AuthError("Salesforce's token response had no access token or instance URL.")
    secret = connection.get_secret("client_secret")
    if secret and body.get("signature") and body.get("issued_at"):
        expected = base64.b64encode(hmac.new(secret.encode(), (body["id"] + body["issued_at"]).encode(),
                                             hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, body["signature"]):
            raise AuthError("Salesforce's token response failed its signature check (identity URL altered).")
    extra = {"instance_url": body["instance_url"].rstrip("/"), "identity_url": body.get("id", "")}
    # Every URL the response hands us is called later with the token: the outbound rule applies.
    for key, label in (("instance_url", "instance URL"), ("identity_url", "identity URL (id)")):
        if extra[key]:
            try:
                outbound_url_check(extra[key], field=f"The {label} in Salesforce's token response")
            except OutboundURLRefused as exc:
                raise AuthError(f"{exc} The tokens were not stored.") from None
    return TokenSet(access_token=body["access_token"], refresh_token=body.get("refresh_token"), expires_at=None,
                    extra_settings=extra)


def _token_request(connection: Connection, data: dict, *, basic: bool = False) -> TokenSet:
    headers = {"Accept": "application/json"}
    if basic:
        raw = f"{connection.client_id}:{connection.get_secret('client_secret', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    response = OAuthHttp(connection).request("POST", "services/oauth2/token", operation="oauth.token", data=data,
                                             headers=headers, ok=(200,))
    return token_set_from_response(connection=connection, body=response.json())


def code_exchange(*, connection: Connection, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
    data = {"grant_type": "authorization_code", "code": code, "client_id": connection.client_id,
            "redirect_uri": redirect_uri, "code_verifier": code_verifier}
    secret = connection.get_secret("client_secret")
    if secret:
        data["client_secret"] = secret
    return _token_request(connection, data)


def refresh_grant(connection: Connection) -> TokenSet:
    refresh_token = connection.get_secret("refresh_token")
    if not refresh_token:
        raise AuthError("Salesforce has no refresh token stored: reconnect Salesforce.")
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": connection.client_id}
    secret = connection.get_secret("client_secret")
    if secret:
        data["client_secret"] = secret
    return _token_request(connection, data)


def jwt_audience(connection: Connection) -> str:
    """The JWT bearer ``aud``: https://test.salesforce.com for a sandbox org, else https://login.salesforce.com.

    These are the documented audiences (reference §1.4), also for orgs whose token endpoint is
    their My Domain; a My Domain URL as ``aud`` is undocumented. The org is a sandbox when its
    auth host is test.salesforce.com or a sandbox My Domain (``…--name.sandbox.my.salesforce.com``,
    older ``…--name.my.salesforce.com``). The connection's ``jwt_audience`` setting overrides
    (e.g. an Experience Cloud site URL).
    """
    if connection.settings.get("jwt_audience"):
        return connection.settings["jwt_audience"]
    host = (urlsplit(auth_root(connection)).hostname or "").lower()
    sandbox_org = host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com") or (
        host.endswith(".my.salesforce.com") and "--" in host.split(".", 1)[0])
    return "https://test.salesforce.com" if sandbox_org else "https://login.salesforce.com"


def jwt_assertion(connection: Connection) -> str:
    key = connection.get_secret("jwt_private_key")
    username = connection.settings.get("username")
    if not key or not username:
        raise FatalError("The JWT bearer flow needs the private key (secret) and the username (setting).")
    claims = {"iss": connection.client_id, "sub": username, "aud": jwt_audience(connection),
              "exp": int(time.time()) + 180}
    try:
        return jwt.encode(claims, key, algorithm="RS256")
    except (ValueError, TypeError) as exc:
        raise FatalError(f"The stored JWT private key cannot sign: {type(exc).__name__}.") from None


def jwt_grant(connection: Connection) -> TokenSet:
    return _token_request(connection, {"grant_type": JWT_GRANT, "assertion": jwt_assertion(connection)})


def client_credentials_grant(connection: Connection) -> TokenSet:
    return _token_request(connection, {"grant_type": "client_credentials"}, basic=True)


# auth_kind → how to get a fresh access token without a person.
TOKEN_FETCHERS = {
    Connection.AuthKind.OAUTH2_CODE: refresh_grant,
    Connection.AuthKind.JWT_BEARER: jwt_grant,
    Connection.AuthKind.CLIENT_CREDENTIALS: client_credentials_grant,
}


def token_fetch(connection: Connection) -> TokenSet:
    fetch = TOKEN_FETCHERS.get(connection.auth_kind)
    if fetch is None:
        raise AuthError(f"Salesforce connections cannot use {connection.get_auth_kind_display()}.")
    return fetch(connection)


def token_revoke(*, connection: Connection) -> None:
    token = connection.get_secret("refresh_token") or connection.get_secret("access_token")
    if token:
        try:
            OAuthHttp(connection).request("POST", "services/oauth2/revoke", operation="oauth.revoke",
                                          data={"token": token}, ok=(200,))
        except (AuthError, RetryableError):
            pass  # already invalid or unreachable: forgetting it locally is what matters

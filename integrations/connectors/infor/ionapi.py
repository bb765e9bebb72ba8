""".ionapi credentials and ION API Gateway tokens (shared by every Infor product adapter).

The whole .ionapi file is one encrypted secret (``ionapi``) on the Connection. Tokens come
from ``pu + ot`` by the password grant (username = saak verbatim, password = sask) or the
client-credentials grant; a refresh token, when issued, is tried first and the grant is the
fallback (the service-account keys never expire the way a refresh token can). Revocation
goes to ``pu + or``. Reference: shared/reference/infor-api.md §1.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import requests

from config.outbound_urls import OutboundURLRefused, outbound_url_check
from integrations.connectors.base import HttpClient, TokenSet, connection_tokens_store
from integrations.errors import AuthError, FatalError
from integrations.models import Connection

SECRET_NAME = "ionapi"
GRANTS = ("password", "client_credentials")
COMMON_KEYS = ("ti", "cn", "ci", "cs", "iu", "pu", "ot", "or")
PASSWORD_KEYS = ("saak", "sask")
KEY_WORDS = {
    "ti": "tenant", "cn": "application name", "ci": "client id", "cs": "client secret", "iu": "ION API URL",
    "pu": "authorization server URL", "ot": "token path", "or": "revoke path", "saak": "service account access key",
    "sask": "service account secret key",
}


class IonApiInvalid(ValueError):
    """The uploaded file is not a usable .ionapi file; the message says what to fix."""


@dataclass(frozen=True)
class IonApiCredentials:
    tenant: str
    application: str
    client_id: str
    client_secret: str
    api_url: str
    auth_url: str
    token_path: str
    revoke_path: str
    service_account_access_key: str
    service_account_secret_key: str
    grant: str

    @staticmethod
    def _join(base: str, path: str) -> str:
        # Infor documents plain concatenation (pu + ot); tolerate a missing or doubled slash.
        return base.rstrip("/") + "/" + path.lstrip("/")

    @property
    def token_url(self) -> str:
        return self._join(self.auth_url, self.token_path)

    @property
    def revoke_url(self) -> str:
        return self._join(self.auth_url, self.revoke_path)

    @property
    def api_root(self) -> str:
        """iu + "/" + ti: the root every product path (/M3/…, /LN/…) hangs from."""
        return self._join(self.api_url, self.tenant)


def ionapi_parse(text: str | bytes, *, grant: str | None = None) -> IonApiCredentials:
    """Validate an .ionapi document; ``grant`` defaults to password when saak/sask are present."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise IonApiInvalid("The file is not JSON. Download the .ionapi file again from ION API Gateway "
                            "(Authorized Apps → your Backend Service app → Download Credentials).") from None
    if not isinstance(data, dict):
        raise IonApiInvalid("The file must hold one JSON object with the keys ti, ci, cs, iu, pu, ot, …")
    grant = grant or ("password" if data.get("saak") or data.get("sask") else "client_credentials")
    if grant not in GRANTS:
        raise IonApiInvalid(f"Unknown grant '{grant}'; use one of: {', '.join(GRANTS)}.")
    needed = COMMON_KEYS + (PASSWORD_KEYS if grant == "password" else ())
    missing = [k for k in needed if not isinstance(data.get(k), str) or not data[k].strip()]
    if missing:
        words = ", ".join(f"{k} ({KEY_WORDS[k]})" for k in missing)
        hint = (" A password-grant file needs the service account keys: create the app as a Backend Service "
                "with a service account." if set(missing) & set(PASSWORD_KEYS) else "")
        raise IonApiInvalid(f"The .ionapi file lacks {words}.{hint}")
    for key in ("iu", "pu"):
        try:
            outbound_url_check(data[key].strip(), field=f"{key} ({KEY_WORDS[key]})")
        except OutboundURLRefused as exc:
            raise IonApiInvalid(str(exc)) from None
    return IonApiCredentials(
        tenant=data["ti"].strip(), application=data["cn"].strip(), client_id=data["ci"], client_secret=data["cs"],
        api_url=data["iu"].strip(), auth_url=data["pu"].strip(), token_path=data["ot"].strip(),
        revoke_path=data["or"].strip(), service_account_access_key=data.get("saak", ""),
        service_account_secret_key=data.get("sask", ""), grant=grant,
    )


def ionapi_credentials(connection: Connection) -> IonApiCredentials:
    text = connection.get_secret(SECRET_NAME)
    if not text:
        raise AuthError(f"No .ionapi file is stored on the connection '{connection.name}'. "
                        "Upload it in the admin (Connections → the Infor connection → .ionapi file).")
    try:
        return ionapi_parse(text, grant=connection.settings.get("ionapi_grant"))
    except IonApiInvalid as exc:
        raise AuthError(f"The stored .ionapi file of '{connection.name}' is not usable: {exc}") from None


def connection_ionapi_apply(*, connection: Connection, text: str | bytes, grant: str | None = None) -> Connection:
    """Put a validated .ionapi file on the connection (unsaved): one encrypted secret, old tokens dropped.

    The non-secret parts (tenant, app name, grant, URLs) go to settings/base_url/auth_url so
    the admin can show them; client id and secret, saak and sask stay inside the secret.
    """
    creds = ionapi_parse(text, grant=grant)
    raw = text.decode() if isinstance(text, bytes) else text
    connection.set_secrets(**{SECRET_NAME: raw, "access_token": None, "refresh_token": None})
    connection.auth_kind = Connection.AuthKind.IONAPI
    connection.base_url = creds.api_root
    connection.auth_url = creds.auth_url
    connection.token_expires_at = None
    connection.token_state = Connection.TokenState.NONE
    connection.settings = {**connection.settings, "ionapi_grant": creds.grant, "ionapi_tenant": creds.tenant,
                           "ionapi_application": creds.application}
    return connection


def connection_ionapi_store(*, connection: Connection, text: str | bytes, grant: str | None = None) -> Connection:
    connection_ionapi_apply(connection=connection, text=text, grant=grant)
    connection.save()
    return connection


class IonApiTokenClient(HttpClient):
    """Talks to the ION authorization server (pu); every call is logged like any other."""

    system = "infor"

    def __init__(self, connection: Connection, *, session: requests.Session | None = None):
        super().__init__(connection, session=session)
        self.creds = ionapi_credentials(connection)

    def base_url(self) -> str:
        return self.creds.auth_url

    def _client_auth(self, form: dict) -> dict:
        """Client id/secret in the body (most samples) or as HTTP Basic (configurable)."""
        if self.connection.settings.get("ionapi_client_auth") == "basic":
            return {"data": form, "auth": (self.creds.client_id, self.creds.client_secret)}
        return {"data": {**form, "client_id": self.creds.client_id, "client_secret": self.creds.client_secret}}

    def token_request(self, form: dict, operation: str) -> TokenSet:
        response = self.request("POST", self.creds.token_url, operation=operation, **self._client_auth(form))
        try:
            body = response.json()
            return TokenSet.from_expires_in(body["access_token"], body.get("refresh_token"),
                                            expires_in=body.get("expires_in"))
        except (ValueError, KeyError, TypeError):
            raise FatalError("The ION API token endpoint answered without an access token; "
                             "check the connection's .ionapi file (pu, ot).") from None

    def grant(self) -> TokenSet:
        if self.creds.grant == "password":
            form = {"grant_type": "password", "username": self.creds.service_account_access_key,
                    "password": self.creds.service_account_secret_key}
        else:
            form = {"grant_type": "client_credentials"}
        return self.token_request(form, f"token:{self.creds.grant}")

    def refresh(self, refresh_token: str) -> TokenSet:
        return self.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token}, "token:refresh")

    def revoke(self, token: str, hint: str) -> None:
        # Revocation always authenticates the client with HTTP Basic (ion-api-sdk README).
        self.request("POST", self.creds.revoke_url, operation=f"revoke:{hint}",
                     data={"token": token, "token_type_hint": hint},
                     auth=(self.creds.client_id, self.creds.client_secret))

    def classify(self, response: requests.Response) -> Exception:
        error = super().classify(response)
        if response.status_code in (400, 401) and self._oauth_code(response) in ("invalid_client", "invalid_grant",
                                                                                 "unauthorized_client"):
            return AuthError(error.message, http_status=response.status_code)
        return error

    @staticmethod
    def _oauth_code(response: requests.Response) -> str:
        try:
            return str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            return ""

    def error_from_response(self, response: requests.Response) -> str:
        try:
            body = response.json()
            detail = f"{body.get('error')}: {body.get('error_description') or ''}".strip(": ")
        except (ValueError, AttributeError):
            detail = (response.text or response.reason or "")[:200]
        return (f"Infor ION API sign-in failed ({response.status_code} {detail}). Check the .ionapi file and that "
                "the authorized app and its service account are still active.")


def ionapi_token_fetch(connection: Connection) -> TokenSet:
    """A fresh token set: the refresh token when we hold one, else (or when refused) the grant."""
    client = IonApiTokenClient(connection)
    refresh_token = connection.get_secret("refresh_token")
    if refresh_token:
        try:
            return client.refresh(refresh_token)
        except AuthError:
            pass  # refresh token revoked or expired: the service-account grant still works
    return client.grant()


def connection_ionapi_connect(*, connection: Connection) -> Connection:
    """Get a first token now (the admin's "Test connection"): proves the file and the app work."""
    return connection_tokens_store(connection=connection, tokens=ionapi_token_fetch(connection))


def connection_ionapi_revoke(*, connection: Connection) -> Connection:
    """Revoke the refresh token (which revokes its grant) and the access token, then forget both."""
    client = IonApiTokenClient(connection)
    for name, hint in (("refresh_token", "refresh_token"), ("access_token", "access_token")):
        value = connection.get_secret(name)
        if value:
            client.revoke(value, hint)
    connection.set_secrets(access_token=None, refresh_token=None)
    connection.token_expires_at = None
    connection.token_state = Connection.TokenState.NONE
    connection.save(update_fields=["secrets_encrypted", "token_expires_at", "token_state", "updated_at"])
    return connection

"""The ION API Gateway's authorization server and bearer check, plus fault injection.

Grants (reference §1.2): password (username = saak verbatim, password = sask),
client_credentials, refresh_token; client authentication in the body or HTTP Basic.
Access tokens live ``AuthorizedApp.access_token_seconds`` (2 h by default). Revoking a
refresh token revokes its whole grant. Tokens are signed claims (django.core.signing), so
issuing one needs no database write; revocations and expiries are rows.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time

from django.core import signing
from django.db.models import F, Q

from .models import AuthorizedApp, Fault, Revocation


class OAuthError(Exception):
    """An RFC 6749 error answer: ``{"error": code, "error_description": text}``."""

    def __init__(self, code: str, description: str, status: int = 400):
        super().__init__(description)
        self.code, self.description, self.status = code, description, status

    def body(self) -> dict:
        return {"error": self.code, "error_description": self.description}


def client_credentials_read(request) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "Malformed Basic authorization header.", 401) from None
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def app_authenticate(request, tenant: str) -> AuthorizedApp:
    client_id, client_secret = client_credentials_read(request)
    if not client_id:
        raise OAuthError("invalid_client", "Client authentication is missing.", 401)
    app = AuthorizedApp.objects.filter(client_id=client_id, tenant__iexact=tenant).first()
    if app is None or not secrets.compare_digest(app.client_secret, client_secret):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return app


SALT = "sandbox-infor-token"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _issue(app: AuthorizedApp, grant: str, *, with_refresh: bool) -> dict:
    now = time.time()
    access = signing.dumps({"a": app.pk, "g": grant, "k": "access", "i": now,
                            "e": now + app.access_token_seconds, "n": secrets.token_hex(4)}, salt=SALT)
    body = {"access_token": access, "token_type": "Bearer", "expires_in": app.access_token_seconds}
    if with_refresh:
        # Refresh tokens never expire here ("0 = never" is an ION setting); revoking one ends the grant.
        body["refresh_token"] = signing.dumps({"a": app.pk, "g": grant, "k": "refresh", "i": now}, salt=SALT)
    return body


def _read(value: str, kind: str, app_id: int | None = None) -> dict | None:
    """The token's claims when it is genuine, of this kind, unexpired and not revoked; else None."""
    try:
        claims = signing.loads(value, salt=SALT)
    except signing.BadSignature:
        return None
    if claims.get("k") != kind or (app_id is not None and claims.get("a") != app_id):
        return None
    if kind == "access" and claims["e"] <= time.time():
        return None
    revoked = Revocation.objects.filter(app_id=claims["a"]).filter(
        Q(grant=claims["g"]) | Q(token_digest=_digest(value))).exists()
    return None if revoked else claims


def token_grant(request, tenant: str) -> dict:
    """Issue tokens. Writes nothing to the database (see Revocation)."""
    app = app_authenticate(request, tenant)
    grant_type = request.POST.get("grant_type", "")
    if grant_type == "password":
        username, password = request.POST.get("username", ""), request.POST.get("password", "")
        if not (app.service_account_access_key and secrets.compare_digest(app.service_account_access_key, username)
                and secrets.compare_digest(app.service_account_secret_key, password)):
            raise OAuthError("invalid_grant", "The service account access key or secret key is wrong.")
        return _issue(app, secrets.token_hex(8), with_refresh=app.issue_refresh_tokens)
    if grant_type == "client_credentials":
        return _issue(app, secrets.token_hex(8), with_refresh=False)
    if grant_type == "refresh_token":
        claims = _read(request.POST.get("refresh_token", ""), "refresh", app.pk)
        if claims is None:
            raise OAuthError("invalid_grant", "The refresh token is invalid or revoked.")
        return _issue(app, claims["g"], with_refresh=True)
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required.")
    raise OAuthError("unsupported_grant_type", f"Grant type '{grant_type}' is not supported.")


def token_revoke(request, tenant: str) -> None:
    app = app_authenticate(request, tenant)
    value = request.POST.get("token") or request.GET.get("token", "")
    if not value:
        raise OAuthError("invalid_request", "token is required.")
    claims = _read(value, "refresh", app.pk) or _read(value, "access", app.pk)
    if claims is None:
        return  # RFC 7009: an unknown or already dead token is not an error
    if claims["k"] == "refresh":
        Revocation.objects.create(app=app, grant=claims["g"])
    else:
        Revocation.objects.create(app=app, token_digest=_digest(value))


def bearer_check(request, tenant: str) -> tuple[AuthorizedApp, str] | None:
    """(app, token) for a live access token of this tenant on the request, or None."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    value = header[7:].strip()
    claims = _read(value, "access")
    app = AuthorizedApp.objects.filter(pk=claims["a"]).first() if claims else None
    if app is None or app.tenant.lower() != tenant.lower() or claims["i"] < app.tokens_valid_after:
        return None
    return app, value


def token_expire(app: AuthorizedApp, value: str) -> None:
    Revocation.objects.create(app=app, token_digest=_digest(value), reason="expired")


def tokens_expire_all() -> int:
    return AuthorizedApp.objects.update(tokens_valid_after=time.time())


# -- fault injection ---------------------------------------------------------------------------
def fault_take() -> Fault | None:
    """Consume one request's worth of the oldest pending fault."""
    for fault in Fault.objects.filter(remaining__gt=0).order_by("pk"):
        if Fault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            if fault.kind == Fault.Kind.LATENCY:
                time.sleep(fault.latency_ms / 1000)  # the simulated gateway is slow; the client must time out
                continue
            return fault
    return None

"""The simulated OAuth 2.0 server: authorization codes (with PKCE), refresh tokens (optional
rotation, reuse detection), JWT bearer against the app's certificate, client credentials,
revocation, and session expiry. Token responses carry no expires_in, as in the real API."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from datetime import timedelta

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from .errors import OAuthError
from .models import SfAuthCode, SfConnectedApp, SfToken, SfUser
from .org import org_get

DEFAULT_AUDIENCES = ["https://login.salesforce.com", "https://test.salesforce.com"]
CODE_LIFETIME = timedelta(minutes=15)
JWT_MAX_AHEAD_SECONDS = 180


def app_for(client_id: str) -> SfConnectedApp:
    app = SfConnectedApp.objects.filter(consumer_key=client_id or "").first()
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    return app


def _check_secret(app: SfConnectedApp, secret: str | None, *, required: bool) -> None:
    if secret is None and not required:
        return
    if not hmac.compare_digest(app.consumer_secret, secret or ""):
        raise OAuthError("invalid_client", "invalid client credentials")


def code_issue(*, app: SfConnectedApp, user: SfUser, redirect_uri: str, challenge: str, method: str, scope: str) -> str:
    code = "aPrx" + secrets.token_urlsafe(32)
    SfAuthCode.objects.create(code=code, app=app, user=user, redirect_uri=redirect_uri, code_challenge=challenge,
                              code_challenge_method=method, scope=scope)
    return code


def _pkce_ok(code: SfAuthCode, verifier: str) -> bool:
    if code.code_challenge_method.upper() == "PLAIN":
        return hmac.compare_digest(code.code_challenge, verifier)
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return hmac.compare_digest(code.code_challenge, digest)


def _issue(*, app: SfConnectedApp, user: SfUser, grant: str, scope: str, instance_url: str, family: str | None = None,
           with_refresh: bool = False, signed: bool = True) -> dict:
    org = org_get()
    family = family or secrets.token_hex(8)
    access = f"{org.org_id[:15]}!{secrets.token_urlsafe(48)}"
    SfToken.objects.create(token=access, kind=SfToken.Kind.ACCESS, app=app, user=user, family=family, grant_type=grant,
                           scope=scope, instance_url=instance_url)
    identity = f"{instance_url}/id/{org.org_id}/{user.sf_id}"
    issued_at = str(int(time.time() * 1000))
    body = {"access_token": access, "instance_url": instance_url, "id": identity, "token_type": "Bearer",
            "scope": scope}
    if signed:
        body["issued_at"] = issued_at
        body["signature"] = base64.b64encode(
            hmac.new(app.consumer_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()).decode()
    if with_refresh:
        refresh = "5Aep" + secrets.token_urlsafe(48)
        SfToken.objects.create(token=refresh, kind=SfToken.Kind.REFRESH, app=app, user=user, family=family,
                               grant_type=grant, scope=scope)
        body["refresh_token"] = refresh
    return body


def grant_authorization_code(form: dict, basic: tuple | None, instance_url: str) -> dict:
    client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
    app = app_for(client_id)
    _check_secret(app, secret, required=app.require_secret)
    code = SfAuthCode.objects.filter(code=form.get("code") or "", app=app).first()
    if code is None or code.used or code.created_at < timezone.now() - CODE_LIFETIME:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if code.redirect_uri != form.get("redirect_uri"):
        raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
    if code.code_challenge:
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuthError("invalid_grant", "invalid code verifier")
        if not _pkce_ok(code, verifier):
            raise OAuthError("invalid_request", "invalid code verifier")
    SfAuthCode.objects.filter(pk=code.pk).update(used=True)
    return _issue(app=app, user=code.user, grant="authorization_code", scope=code.scope, instance_url=instance_url,
                  with_refresh="refresh_token" in code.scope.split() or "offline_access" in code.scope.split())


def grant_refresh_token(form: dict, basic: tuple | None, instance_url: str) -> dict:
    client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
    app = app_for(client_id)
    _check_secret(app, secret, required=app.require_secret)
    token = SfToken.objects.filter(token=form.get("refresh_token") or "", kind=SfToken.Kind.REFRESH, app=app).first()
    if token is None or token.revoked:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    if token.rotated:
        # Reuse of a rotated-out token: the whole lineage is revoked (refresh token rotation).
        SfToken.objects.filter(family=token.family).update(revoked=True)
        raise OAuthError("invalid_grant", "expired access/refresh token")
    rotate = app.rotate_refresh_tokens
    if rotate:
        # Only one concurrent refresh wins the rotation; the loser gets invalid_grant.
        if not SfToken.objects.filter(pk=token.pk, rotated=False).update(rotated=True):
            SfToken.objects.filter(family=token.family).update(revoked=True)
            raise OAuthError("invalid_grant", "expired access/refresh token")
    return _issue(app=app, user=token.user, grant="refresh_token", scope=token.scope, instance_url=instance_url,
                  family=token.family, with_refresh=rotate)


def _jwt_key(app: SfConnectedApp):
    pem = app.jwt_certificate.strip().encode()
    if not pem:
        raise OAuthError("invalid_grant", "invalid assertion")
    if b"CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem).public_key()
    return serialization.load_pem_public_key(pem)


def grant_jwt_bearer(form: dict, instance_url: str) -> dict:
    assertion = form.get("assertion") or ""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    app = app_for(claims.get("iss", ""))
    # As documented (reference §1.4): login/test hosts, plus what the org lists (e.g. a community
    # URL). The org's own My Domain URL is not accepted unless listed: whether Salesforce accepts
    # it is unconfirmed, so a test that wants the lenient behaviour adds it to jwt_audiences.
    audiences = DEFAULT_AUDIENCES + list(org_get().jwt_audiences)
    try:
        claims = jwt.decode(assertion, _jwt_key(app), algorithms=["RS256"], audience=audiences,
                            options={"require": ["iss", "exp", "aud"]})
    except jwt.ExpiredSignatureError:
        raise OAuthError("invalid_grant", "expired authorization code") from None
    except (jwt.PyJWTError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if claims["exp"] > time.time() + JWT_MAX_AHEAD_SECONDS + 30:
        raise OAuthError("invalid_grant", "invalid assertion: exp is more than 3 minutes ahead")
    user = SfUser.objects.filter(username=claims.get("sub") or claims.get("prn") or "").first()
    if user is None:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return _issue(app=app, user=user, grant="jwt_bearer", scope=app.scopes, instance_url=instance_url, signed=False)


def grant_client_credentials(form: dict, basic: tuple | None, instance_url: str) -> dict:
    client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
    app = app_for(client_id)
    _check_secret(app, secret, required=True)
    if app.run_as is None:
        raise OAuthError("invalid_grant", "no client credentials user enabled")
    return _issue(app=app, user=app.run_as, grant="client_credentials", scope=app.scopes, instance_url=instance_url)


def token_revoke(token: str) -> None:
    row = SfToken.objects.filter(token=token or "").first()
    if row is None:
        raise OAuthError("invalid_token", "invalid token")
    if row.kind == SfToken.Kind.REFRESH:
        SfToken.objects.filter(family=row.family).update(revoked=True)
    else:
        SfToken.objects.filter(pk=row.pk).update(revoked=True)


def session_valid(token: str) -> SfToken | None:
    """The access token if it is live: not revoked, within the app's session timeout, and
    issued after the last "expire all sessions"."""
    row = SfToken.objects.select_related("app", "user").filter(token=token, kind=SfToken.Kind.ACCESS).first()
    if row is None or row.revoked:
        return None
    now = timezone.now()
    if row.issued_at + timedelta(seconds=row.app.session_timeout_seconds) <= now:
        return None
    cutoff = org_get().sessions_valid_after
    if cutoff is not None and row.issued_at <= cutoff:
        return None
    return row


def sessions_expire_now() -> None:
    org = org_get()
    type(org).objects.filter(pk=org.pk).update(sessions_valid_after=timezone.now())

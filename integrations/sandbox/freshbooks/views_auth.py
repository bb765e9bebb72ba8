"""The auth service: authorize page, token endpoint, revoke, and /auth/api/v1/users/me.

Token requests are accepted form-encoded (Python SDK), as JSON (Node SDK) and as multipart
(the documented curl -F). Authorization codes live five minutes and work once; refresh
tokens work once (reuse → 400 invalid_grant); access tokens live the app's lifetime (12 h).
"""
from __future__ import annotations

import json
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .models import SimApp, SimGrant, SimToken, SimUser
from .protocol import AUTH, api, auth_error, respond
from .scopes import INVALID_SCOPE, KNOWN_SCOPES, scopes_parse

CODE_LIFETIME = timedelta(minutes=5)
INVALID_GRANT = ("The provided authorization grant is invalid, expired, revoked, does not match the redirection "
                 "URI used in the authorization request, or was issued to another client.")
INVALID_CLIENT = ("Client authentication failed due to unknown client, no client authentication included, or "
                  "unsupported authentication method.")


# -- authorize ----------------------------------------------------------------------------------
def authorize(request):
    params = request.POST if request.method == "POST" else request.GET
    app = SimApp.objects.filter(client_id=params.get("client_id", "")).first()
    redirect_uri = params.get("redirect_uri", "")
    problem = "Unknown client_id: no application is registered with it." if app is None else \
        app.redirect_uri_problem(redirect_uri)
    if problem:
        return render(request, "sandbox/freshbooks/authorize.html", {"problem": problem}, status=400)
    state = params.get("state")
    if params.get("response_type") != "code":
        return _back(redirect_uri, state, error="unsupported_response_type")
    requested, enabled = scopes_parse(params.get("scope", "")), app.scopes_enabled()
    if any(s not in KNOWN_SCOPES or (enabled is not None and s not in enabled) for s in requested):
        # One unknown (or not enabled) scope rejects the whole consent (API reference §1.6).
        return _back(redirect_uri, state, error="invalid_scope", error_description=INVALID_SCOPE)
    if request.method == "POST":
        if "deny" in request.POST:
            return _back(redirect_uri, state, error="access_denied")
        user = SimUser.objects.filter(pk=request.POST.get("user")).first() or SimUser.objects.order_by("pk").first()
        grant = SimGrant.objects.create(code=secrets.token_hex(20), app=app, user=user, redirect_uri=redirect_uri,
                                        scope=params.get("scope", ""))
        return _back(redirect_uri, state, code=grant.code)
    context = {"app": app, "params": params.items(), "users": SimUser.objects.order_by("pk"),
               "scopes": params.get("scope", "").split()}
    return render(request, "sandbox/freshbooks/authorize.html", context)


def _back(redirect_uri: str, state: str | None, **values) -> HttpResponseRedirect:
    query = {**values, **({"state": state} if state is not None else {})}
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return HttpResponseRedirect(f"{redirect_uri}{joiner}{urlencode(query)}")


# -- token --------------------------------------------------------------------------------------
def _token_params(request) -> dict | None:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (UnicodeDecodeError, ValueError):
            return None
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else None
    return {k: v for k, v in request.POST.items()}  # form-urlencoded and multipart alike


def token_issue(*, app: SimApp, user: SimUser, scope: str, refreshed_from: SimToken | None = None) -> SimToken:
    now = timezone.now().replace(microsecond=0)
    return SimToken.objects.create(
        access_token=f"sim.{secrets.token_urlsafe(36)}", refresh_token=secrets.token_hex(32), app=app, user=user,
        scope=scope, created_at=now, expires_at=now + timedelta(seconds=app.token_lifetime_seconds),
        refreshed_from=refreshed_from,
    )


def token_body(token: SimToken) -> dict:
    return {"access_token": token.access_token, "refresh_token": token.refresh_token, "token_type": "Bearer",
            "expires_in": token.app.token_lifetime_seconds, "scope": token.scope or "user:profile:read",
            "created_at": int(token.created_at.timestamp())}


@csrf_exempt
def token(request):
    if request.method != "POST":
        return auth_error(405, "invalid_request", "The token endpoint accepts POST only.")
    params = _token_params(request)
    if params is None:
        return auth_error(400, "invalid_request", "The request body could not be parsed.")
    app = SimApp.objects.filter(client_id=params.get("client_id", "")).first()
    if app is None or not secrets.compare_digest(params.get("client_secret", ""), app.client_secret):
        return auth_error(401, "invalid_client", INVALID_CLIENT)
    grant_type = params.get("grant_type", "")
    if grant_type == "authorization_code":
        return _exchange_code(app, params)
    if grant_type == "refresh_token":
        return _refresh(app, params)
    return auth_error(400, "unsupported_grant_type", "The authorization grant type is not supported by the server.")


def _exchange_code(app: SimApp, params: dict):
    with transaction.atomic():
        grant = SimGrant.objects.select_for_update().filter(code=params.get("code", ""), app=app).first()
        if (grant is None or grant.used_at or grant.created_at < timezone.now() - CODE_LIFETIME
                or grant.redirect_uri != params.get("redirect_uri", "")):
            return auth_error(400, "invalid_grant", INVALID_GRANT)
        grant.used_at = timezone.now()
        grant.save(update_fields=["used_at"])
        issued = token_issue(app=app, user=grant.user, scope=grant.scope)
    return respond(token_body(issued))


def _refresh(app: SimApp, params: dict):
    with transaction.atomic():
        old = SimToken.objects.select_for_update().filter(refresh_token=params.get("refresh_token", ""), app=app).first()
        if old is None or old.refresh_used_at or old.revoked_at:
            return auth_error(400, "invalid_grant", INVALID_GRANT)
        old.refresh_used_at = timezone.now()  # single use: this refresh token is now dead
        old.save(update_fields=["refresh_used_at"])
        issued = token_issue(app=app, user=old.user, scope=old.scope, refreshed_from=old)
    return respond(token_body(issued))


@csrf_exempt
def revoke(request):
    if request.method != "POST":
        return auth_error(405, "invalid_request", "The revoke endpoint accepts POST only.")
    params = _token_params(request) or {}
    value = params.get("token", "")
    SimToken.objects.filter(access_token=value).update(revoked_at=timezone.now())
    SimToken.objects.filter(refresh_token=value).update(revoked_at=timezone.now())
    return respond({})


# -- identity -----------------------------------------------------------------------------------
@api(AUTH, account_scoped=False)
def users_me(request, *, token):
    user = token.user
    memberships = list(user.memberships.select_related("account").order_by("pk"))
    business_memberships, roles = [], []
    for m in memberships:
        business = {"id": m.account.business_id, "business_uuid": str(m.account.business_uuid), "name": m.account.name,
                    "account_id": None if m.role == "client" else m.account.account_id, "date_format": "mm/dd/yyyy",
                    "address": {}, "phone_number": None, "business_clients": []}
        business_memberships.append({"id": m.pk, "role": m.role, "unacknowledged_change": False, "business": business})
        if m.role != "client":
            roles.append({"id": m.pk, "role": "admin" if m.role == "owner" else m.role, "systemid": m.account.business_id,
                          "userid": m.legacy_user_id, "accountid": m.account.account_id,
                          "created_at": m.account.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    response = {
        "id": user.pk, "identity_id": user.pk, "identity_uuid": str(user.identity_uuid), "first_name": user.first_name,
        "last_name": user.last_name, "email": user.email, "language": "en", "setup_complete": True,
        "confirmed_at": user.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_at": user.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "permissions": {r["accountid"]: {} for r in roles},
        "groups": [{"id": m.pk, "role": m.role, "identity_id": user.pk, "business_id": m.account.business_id,
                    "active": True} for m in memberships],
        "subscription_statuses": {r["accountid"]: "active" for r in roles},
        "business_memberships": business_memberships, "roles": roles,
    }
    return respond({"response": response})

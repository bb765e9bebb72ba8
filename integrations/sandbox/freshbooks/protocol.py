"""The simulator's HTTP protocol: envelopes, the three error-body families, bearer auth,
JSON bodies and per-account fault injection.

Error bodies follow the API reference exactly:
- accounting: {"response": {"errors": [{errno, field, message, object, value}]}}
- events (webhook callbacks): {"errno": 404, "message": "...", "details": [...]}
- auth service: {"error": "...", "error_description": "..."}
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from functools import wraps


from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .faults import fault_consume
from .formats import BadValue
from .models import SimAccount, SimToken
from .scopes import scopes_granted

ACCOUNTING, EVENTS, AUTH = "accounting", "events", "auth"
UNAUTHORIZED_ACCOUNTING = (
    "The server could not verify that you are authorized to access the URL requested. You either "
    "supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to "
    "supply the credentials required."
)


class ApiFailure(Exception):
    """Raised anywhere in a request to answer with ``response``."""

    def __init__(self, response: JsonResponse):
        super().__init__(response.status_code)
        self.response = response


class _Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return str(o)
        return super().default(o)


def respond(body: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, encoder=_Encoder, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def result(payload: dict) -> JsonResponse:
    return respond({"response": {"result": payload}})


def accounting_error(status: int, errno: int, message: str, *, field=None, obj=None, value="") -> JsonResponse:
    error = {"errno": errno, "field": field, "message": message, "object": obj, "value": "" if value is None else str(value)}
    return respond({"response": {"errors": [error]}}, status=status)


def events_error(status: int, errno: int, message: str, details: list | None = None) -> JsonResponse:
    body = {"errno": errno, "message": message}
    if details is not None:
        body["details"] = details
    return respond(body, status=status)


def auth_error(status: int, error: str, description: str) -> JsonResponse:
    return respond({"error": error, "error_description": description}, status=status)


def error_for(family: str, status: int, errno: int, message: str, **kwargs) -> JsonResponse:
    if family == EVENTS:
        return events_error(status, errno, message)
    if family == AUTH:
        return auth_error(status, "invalid_request" if status < 500 else "server_error", message)
    return accounting_error(status, errno, message, **kwargs)


# -- auth ---------------------------------------------------------------------------------------
def token_from(request) -> SimToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    token = SimToken.objects.select_related("user", "app").filter(access_token=value.strip()).first()
    if token is None or token.revoked_at or token.expires_at <= timezone.now():
        return None
    return token


def unauthorized(family: str) -> ApiFailure:
    if family == EVENTS:
        return ApiFailure(events_error(401, 401, "invalid_token: The request token failed to authenticate or validate."))
    if family == AUTH:
        return ApiFailure(auth_error(401, "unauthenticated", "This action requires authentication to continue."))
    return ApiFailure(accounting_error(401, 1003, UNAUTHORIZED_ACCOUNTING))


def account_for(token: SimToken, account_id: str, family: str) -> SimAccount:
    account = SimAccount.objects.filter(account_id=account_id, memberships__user=token.user).exclude(
        memberships__role="client"
    ).first()
    if account is None:
        if family == EVENTS:
            raise ApiFailure(events_error(403, 403, "You do not have access to this account."))
        raise ApiFailure(accounting_error(403, 1003, "Access denied: this account is not available to you.",
                                          field="account_id", obj="account", value=account_id))
    return account


def scope_require(token: SimToken, scope: str | None, family: str) -> None:
    """403 when the token was not granted the scope this call needs. The real body for a
    missing scope is not documented; this one says which scope, in the family's error shape."""
    if scope and scope not in scopes_granted(token.scope):
        message = f"The access token was not granted the scope this call needs: {scope}."
        if family == EVENTS:
            raise ApiFailure(events_error(403, 403, message))
        raise ApiFailure(accounting_error(403, 1003, message, field="scope", value=scope))


# -- faults -------------------------------------------------------------------------------------
def fault_response(account: SimAccount, family: str) -> JsonResponse | None:
    """Apply the account's injected faults to one API request (counters are consumed atomically)."""
    if account.fault_latency_ms:
        time.sleep(account.fault_latency_ms / 1000)  # the simulated server is slow, by request
    if fault_consume(account, "fault_401_remaining"):
        return unauthorized(family).response
    if fault_consume(account, "fault_429_remaining"):
        wait = account.fault_retry_after
        response = error_for(family, 429, 429, "Too Many Requests: rate limit exceeded, retry later.")
        reset = int(time.time()) + wait
        for name, value in {"Retry-After": str(wait), "X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": str(reset)}.items():
            response[name] = value
        return response
    if fault_consume(account, "fault_5xx_remaining"):
        status = account.fault_5xx_status
        message = "Service Unavailable" if status == 503 else "An unexpected error occurred (FreshAlchemyUnexpected)."
        return error_for(family, status, 500, message)
    return None


# -- bodies -------------------------------------------------------------------------------------
def json_body(request, family: str) -> dict:
    """The request's JSON object; malformed input is a clear 400, never a 500."""
    raw = request.body or b"{}"
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        raise ApiFailure(error_for(family, 400, 1005, "The request body could not be parsed as JSON.",
                                   field="body", value="")) from None
    if not isinstance(data, dict):
        raise ApiFailure(error_for(family, 400, 1005, "The request body must be a JSON object.", field="body"))
    return data


def wrapped(body: dict, single: str, family: str) -> dict:
    inner = body.get(single)
    if not isinstance(inner, dict):
        raise ApiFailure(error_for(family, 400, 1005, f"The request body must be an object under '{single}'.",
                                   field=single, obj=single))
    return inner


# -- the decorator every API view uses ----------------------------------------------------------
def api(family: str, *, account_scoped: bool = True) -> Callable:
    """Authenticate, resolve the account, apply faults, and turn bad input into error bodies."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def inner(request, *args, **kwargs):
            try:
                token = token_from(request)
                if token is None:
                    raise unauthorized(family)
                if account_scoped:
                    account = account_for(token, kwargs.pop("account_id"), family)
                    faulty = fault_response(account, family)
                    if faulty is not None:
                        return faulty
                    return view(request, *args, token=token, account=account, **kwargs)
                return view(request, *args, token=token, **kwargs)
            except ApiFailure as failure:
                return failure.response
            except BadValue as bad:
                return error_for(family, 422, bad.errno, str(bad))

        return inner

    return decorate

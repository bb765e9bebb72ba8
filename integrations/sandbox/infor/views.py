"""HTTP face of the simulated ION API Gateway: token endpoints and M3 MI REST v2.

    POST {tenant}/as/token.oauth2                 password / client_credentials / refresh_token
    POST {tenant}/as/revoke_token.oauth2          (GET ?token=… too)
    GET  {tenant}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION}[;matrix]?FIELD=…&control…
    POST {tenant}/M3/m3api-rest/v2/execute[/{PROGRAM}]  {"program", "transactions": [{"transaction", "record"}]}
"""
from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import auth
from .inflight import in_flight_counted
from .mi.catalog import PROGRAMS
from .mi.runtime import Context, MIError, bulk_response, termination_response, transaction_run
from .models import Fault
from .state import seed_ensure

# Control parameters are lower case (timeZone camel case), as in the Swagger; input fields are
# upper case, so CONO (a field of many transactions) and cono (the company context) differ.
CONTROL_PARAMS = {"cono", "divi", "lanc", "locale", "timeZone", "maxrecs", "returncols", "dateformat",
                  "excludeempty", "righttrim", "format", "extendedresult", "m3user"}


def _answered(results: list[dict]) -> JsonResponse:
    """The BulkResponse, unless it is too long to answer in time: the ION API Gateway's target
    timeout is one minute (reference §1), so a call asking M3 for a very long list (maxrecs=0
    on a big table) gets the gateway's 504 instead. How many records M3 returns within that
    minute depends on the tenant; the simulator's threshold is a setting."""
    limit = getattr(settings, "SANDBOX_INFOR_GATEWAY_RECORD_LIMIT", 10000)
    if sum(len(r.get("records") or []) for r in results) > limit:
        return JsonResponse({"error": "Gateway Timeout", "status": 504,
                             "message": "The target did not answer within the gateway's timeout (60 s)."}, status=504)
    return JsonResponse(bulk_response(results))


def _fault_response(fault: Fault, bearer=None) -> HttpResponse:
    if fault.kind == Fault.Kind.UNAUTHORIZED:
        if bearer is not None:
            auth.token_expire(*bearer)  # a real expiry: the client must get a new token, not just retry
        return _unauthorized("The access token has expired.")
    status = int(fault.kind)
    text = "Too Many Requests: spike arrest violation" if status == 429 else "Service Unavailable"
    response = JsonResponse({"error": text, "status": status}, status=status)
    response["Retry-After"] = str(fault.retry_after)
    return response


def _unauthorized(description: str) -> JsonResponse:
    response = JsonResponse({"error": "invalid_token", "error_description": description}, status=401)
    response["WWW-Authenticate"] = f'Bearer realm="ION API", error="invalid_token", error_description="{description}"'
    return response


def _oauth_error(exc: auth.OAuthError) -> JsonResponse:
    response = JsonResponse(exc.body(), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="ION API"'
    return response


@csrf_exempt
@require_http_methods(["POST"])
def token(request, tenant: str):
    seed_ensure()
    try:
        body = auth.token_grant(request, tenant)
    except auth.OAuthError as exc:
        return _oauth_error(exc)
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def revoke(request, tenant: str):
    seed_ensure()
    try:
        auth.token_revoke(request, tenant)
    except auth.OAuthError as exc:
        return _oauth_error(exc)
    return HttpResponse(status=200)


def _control(request, matrix: str) -> dict[str, str]:
    params = {k: v for k, v in request.GET.items() if k in CONTROL_PARAMS}
    for part in (matrix or "").split(";"):
        name, sep, value = part.partition("=")
        if sep and name in CONTROL_PARAMS:
            params.setdefault(name, value)
    return params


def _guarded(request, tenant: str):
    """Gateway checks every M3 call goes through: faults, then the bearer token."""
    seed_ensure()
    bearer = auth.bearer_check(request, tenant)
    fault = auth.fault_take()
    if fault is not None:
        return _fault_response(fault, bearer)
    if bearer is None:
        return _unauthorized("The access token is missing, expired or revoked.")
    return None


@csrf_exempt
@in_flight_counted
@require_http_methods(["GET"])
def execute_one(request, tenant: str, program: str, txn: str, matrix: str = ""):
    refused = _guarded(request, tenant)
    if refused is not None:
        return refused
    record = {k.upper(): v for k, v in request.GET.items() if k not in CONTROL_PARAMS}
    try:
        ctx = Context.from_params(_control(request, matrix))
    except MIError as exc:
        return JsonResponse(termination_response(exc.message, exc.kind), status=400)
    return _answered([transaction_run(PROGRAMS, program.upper(), txn, record, ctx)])


@csrf_exempt
@in_flight_counted
@require_http_methods(["POST"])
def execute_bulk(request, tenant: str, program: str = "", matrix: str = ""):
    refused = _guarded(request, tenant)
    if refused is not None:
        return refused
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(termination_response("The request body is not valid JSON."), status=400)
    if not isinstance(body, dict) or not isinstance(body.get("transactions"), list):
        return JsonResponse(termination_response(
            'The request body must be an object with "program" and a "transactions" list.'), status=400)
    program = (body.get("program") or program or "").upper()
    if not program:
        return JsonResponse(termination_response("No program given (in the path or the body)."), status=400)
    params = _control(request, matrix)
    for key in ("cono", "divi"):
        if body.get(key) not in (None, ""):
            params.setdefault(key, str(body[key]))
    try:
        ctx = Context.from_params(params)
    except MIError as exc:
        return JsonResponse(termination_response(exc.message, exc.kind), status=400)
    results = []
    for entry in body["transactions"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("record", {}), dict):
            results.append({"transaction": "", "records": [], "errorType": "InvalidRequest", "errorCode": "",
                            "errorField": "", "errorCfg": "", "notProcessed": False,
                            "errorMessage": 'Each transaction must be {"transaction": name, "record": {…}}.'})
            continue
        record = {str(k).upper(): "" if v is None else str(v) for k, v in (entry.get("record") or {}).items()}
        results.append(transaction_run(PROGRAMS, program, str(entry.get("transaction", "")), record, ctx))
    return _answered(results)

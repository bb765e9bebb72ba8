"""HTTP entry of the simulated REST API: latency and 503 faults, the bearer session check
(401 INVALID_SESSION_ID as a JSON list), the daily API budget (403 REQUEST_LIMIT_EXCEEDED,
Sforce-Limit-Info on every response), the writer's changeOrigin, one transaction per call."""
from __future__ import annotations

import json
import time

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .context import WriteContext, origin_for, write_context_use
from .errors import SfApiError
from .oauth import session_valid
from .org import api_budget_spend, fault_take, org_get
from .rest.call import Call, Reply, error_reply
from .rest.meta import versions_list
from .rest.routes import dispatch

INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
LOCKED = [{"message": "unable to obtain exclusive access to this record or 1 records", "errorCode": "UNABLE_TO_LOCK_ROW",
           "fields": []}]
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
UNAVAILABLE = [{"message": "Service temporarily unavailable, please retry", "errorCode": "SERVER_UNAVAILABLE"}]


def json_response(body, status: int, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(status=status, content_type="application/json;charset=UTF-8")
    if body is not None and status != 204:
        response.content = json.dumps(body)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def bearer_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""


@csrf_exempt
def data_api(request, path: str = ""):
    if path.strip("/") == "":
        return json_response(versions_list(), 200)  # the Versions resource: no auth, no limit header
    org = org_get()
    if org.latency_ms:
        time.sleep(org.latency_ms / 1000)  # injected latency (fault injection page)
    session = session_valid(bearer_token(request))
    if session is None or fault_take("fault_unauthorized"):
        return json_response(INVALID_SESSION, 401)
    if fault_take("fault_unavailable"):
        return json_response(UNAVAILABLE, 503)
    allowed, used, limit = api_budget_spend()
    headers = {"Sforce-Limit-Info": f"api-usage={used}/{limit}"}
    if not allowed:
        return json_response(LIMIT_EXCEEDED, 403, headers)
    if request.method in WRITE_METHODS and fault_take("fault_lock_row"):
        # Consumed outside the call's transaction, so the rollback of the failed call keeps it spent.
        return json_response(LOCKED, 400, headers)
    call = Call(method=request.method, params=request.GET.dict(), raw_body=request.body,
                headers={k.lower(): v for k, v in request.headers.items()})
    version = path.split("/", 1)[0].lstrip("v")
    ctx = WriteContext(origin=origin_for(version, request.headers.get("Sforce-Call-Options", "")),
                       user_id=session.user.sf_id)
    try:
        with write_context_use(ctx), transaction.atomic():
            reply = dispatch(call, path)
    except SfApiError as exc:
        reply = error_reply(exc)
    return _http(reply, headers)


def _http(reply: Reply, headers: dict) -> HttpResponse:
    return json_response(reply.body, reply.status, {**reply.headers, **headers})

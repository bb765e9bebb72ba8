"""/events/account/<account_id>/events/callbacks[/<id>]: webhook callbacks (API reference §4.1)."""
from __future__ import annotations

import math
import secrets
import string
from datetime import timezone as dt_timezone
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from .deliveries import verification_send
from .kinds import EVENT_NAMES, PARENT_EVENTS
from .models import SimCallback
from .protocol import EVENTS, ApiFailure, api, events_error, json_body, result, scope_require, wrapped
from .query import paging_params
from .scopes import scope_for_event

SEMANTIC = "The request was well-formed but was unable to be followed due to semantic errors."


def callback_render(callback: SimCallback) -> dict:
    return {"callbackid": callback.pk, "verified": callback.verified, "uri": callback.uri, "event": callback.event,
            "updated_at": callback.updated_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _invalid(account, details: list[str]) -> ApiFailure:
    status = int(account.option("callback_validation_status"))
    return ApiFailure(events_error(status, 422, SEMANTIC, details))


def _validate(account, values: dict, *, partial: bool) -> dict:
    details, clean = [], {}
    if "event" in values or not partial:
        event = values.get("event")
        if not isinstance(event, str) or (event not in EVENT_NAMES and event not in PARENT_EVENTS):
            details.append("event: Value error, Unrecognized event.")
        clean["event"] = event
    if "uri" in values or not partial:
        uri = values.get("uri")
        parts = urlsplit(uri) if isinstance(uri, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
            details.append("uri: Input should be a valid URL, relative URL without a base")
        clean["uri"] = uri
    if details:
        raise _invalid(account, details)
    return clean


def _callback(account, callback_id) -> SimCallback:
    callback = None
    if str(callback_id).isdigit():
        callback = SimCallback.objects.select_related("account").filter(account=account, pk=callback_id).first()
    if callback is None:
        raise ApiFailure(events_error(404, 404, "Requested resource could not be found."))
    return callback


def _verifier() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


@api(EVENTS)
def callbacks(request, *, token, account):
    if request.method == "GET":
        return result(_list(account, request.GET))
    if request.method != "POST":
        return events_error(405, 405, f"Method {request.method} is not allowed here.")
    values = _validate(account, wrapped(json_body(request, EVENTS), "callback", EVENTS), partial=False)
    if account.option("callback_needs_event_scope"):
        scope_require(token, scope_for_event(values["event"]), EVENTS)
    with transaction.atomic():
        callback = SimCallback.objects.create(account=account, verifier=_verifier(), **values)
        verification_send(callback=callback)
    return result({"callback": callback_render(callback)})


@api(EVENTS)
def callback(request, callback_id, *, token, account):
    callback = _callback(account, callback_id)
    if request.method == "GET":
        return result({"callback": callback_render(callback)})
    if request.method == "DELETE":
        callback.delete()
        return HttpResponse(status=204)
    if request.method != "PUT":
        return events_error(405, 405, f"Method {request.method} is not allowed here.")
    values = wrapped(json_body(request, EVENTS), "callback", EVENTS)
    with transaction.atomic():
        if "verifier" in values:
            # As bytes: a verifier sent may hold any character (str comparison takes ASCII only).
            if not secrets.compare_digest(str(values["verifier"]).encode("utf-8", "backslashreplace"),
                                          callback.verifier.encode()):
                raise _invalid(account, ["verifier: The verifier does not match this callback."])
            callback.verified = True
        elif values.get("resend"):
            verification_send(callback=callback)
        else:
            changes = _validate(account, values, partial=True)
            if "event" in changes and account.option("callback_needs_event_scope"):
                scope_require(token, scope_for_event(changes["event"]), EVENTS)
            if changes:
                for name, value in changes.items():
                    setattr(callback, name, value)
                callback.verified = False  # a new URI must prove itself again
                verification_send(callback=callback)
        callback.updated_at = timezone.now()
        callback.save()
    return result({"callback": callback_render(callback)})


def _list(account, params) -> dict:
    page, per_page = paging_params(params)
    rows = SimCallback.objects.filter(account=account).order_by("id")
    event = params.get("search[event]")
    if event:
        rows = rows.filter(event__in={event, event.split(".")[0]})  # matches event and parent event
    if params.get("search[uri]"):
        rows = rows.filter(uri=params["search[uri]"])
    total = rows.count()
    items = [callback_render(c) for c in rows[(page - 1) * per_page: page * per_page]]
    return {"callbacks": items, "page": page, "pages": math.ceil(total / per_page) if total else 0,
            "per_page": per_page, "total": total}

"""Composite batch: up to 25 independent subrequests, each its own transaction and each counted
against the API budget; with haltOnError the ones after a failure answer 412
BATCH_PROCESSING_HALTED (reference §2.5; REST guide "Batch Request Body").

Subrequest urls start at the version (``v62.0/sobjects/…``, a leading slash allowed) and carry
their body as ``richInput``. A malformed batch is refused as a whole before anything runs."""
from __future__ import annotations

import re

from ..errors import SfApiError
from ..org import api_budget_spend
from .call import Call, Reply, require_object
from .composite import subrequest

MAX_SUBREQUESTS = 25
METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"}
URL = re.compile(r"^/?(v\d{2,3}\.\d/.*)$")
HALTED = {"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}
LIMIT_EXCEEDED = {"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}


def _validate(body: dict) -> tuple[list[tuple[str, str, object]], bool]:
    subs = body.get("batchRequests")
    if not isinstance(subs, list) or not subs:
        raise SfApiError(400, "JSON_PARSER_ERROR", "batchRequests must be a non-empty list")
    if len(subs) > MAX_SUBREQUESTS:
        raise SfApiError(400, "INVALID_BATCH_REQUEST", f"A batch can have up to {MAX_SUBREQUESTS} subrequests")
    halt = body.get("haltOnError", False)
    if not isinstance(halt, bool):
        raise SfApiError(400, "JSON_PARSER_ERROR", "haltOnError must be true or false")
    out = []
    for sub in subs:
        method = sub.get("method") if isinstance(sub, dict) else None
        match = URL.match(sub.get("url") or "") if isinstance(sub, dict) and isinstance(sub.get("url"), str) else None
        if not isinstance(method, str) or method.upper() not in METHODS or match is None:
            raise SfApiError(400, "INVALID_BATCH_REQUEST", "Each subrequest needs a method and a url that starts "
                                                           "with the API version (e.g. v62.0/sobjects/Account)")
        if re.match(r"v[\d.]+/composite/?(batch|tree)?(/|$|\?)", match.group(1)) and "composite/sobjects" not in \
                match.group(1):
            raise SfApiError(400, "INVALID_BATCH_REQUEST", "Composite and batch requests cannot be nested in a batch")
        out.append((method.upper(), match.group(1), sub.get("richInput")))
    return out, halt


def run(call: Call) -> Reply:
    subs, halt = _validate(require_object(call.json()))
    results, has_errors, halted = [], False, False
    for index, (method, url, body) in enumerate(subs):
        if halted:
            results.append({"statusCode": 412, "result": [HALTED]})
            continue
        # Each subrequest counts against the API budget; the batch call itself paid for the first.
        if index and not api_budget_spend()[0]:
            reply_status, reply_body = 403, [LIMIT_EXCEEDED]
        else:
            reply = subrequest(call, method, url, body)
            reply_status, reply_body = reply.status, reply.body
        results.append({"statusCode": reply_status, "result": reply_body})
        if reply_status >= 400:
            has_errors = True
            halted = halt
    return Reply(200, {"hasErrors": has_errors, "results": results})

"""Composite: up to 25 dependent subrequests (at most 5 queries or collections) in one call
and one transaction when allOrNone; ``@{ref.field}`` references; PROCESSING_HALTED for the
rest after a failure with allOrNone, or for a subrequest whose reference has no value."""
from __future__ import annotations

import re
from urllib.parse import unquote_plus

from django.db import transaction

from ..errors import SfApiError
from .call import Call, Reply, error_reply, require_object

MAX_SUBREQUESTS, MAX_QUERIES = 25, 5
REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")
PREFIX = re.compile(r"^/services/data/")
HALTED = {"errorCode": "PROCESSING_HALTED",
          "message": "The transaction was rolled back since another operation in the same transaction failed."}


class _Halt(Exception):
    pass


class _Unresolved(Exception):
    pass


def _lookup(results: dict, ref: str, path: str):
    if ref not in results:
        raise _Unresolved(ref, path)
    value = results[ref]
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise _Unresolved(ref, path)
    return value


def _substitute(value, results: dict):
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        if whole:
            return _lookup(results, *whole.groups())
        return REFERENCE.sub(lambda m: str(_lookup(results, *m.groups())), value)
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    return value


def _validate(body: dict) -> tuple[list, bool]:
    subs = body.get("compositeRequest")
    if not isinstance(subs, list) or not subs:
        raise SfApiError(400, "JSON_PARSER_ERROR", "compositeRequest must be a non-empty list")
    if len(subs) > MAX_SUBREQUESTS:
        raise SfApiError(400, "INVALID_BATCH_REQUEST", f"Composite request can have up to {MAX_SUBREQUESTS} subrequests")
    seen = set()
    for sub in subs:
        if not isinstance(sub, dict) or not all(isinstance(sub.get(k), str) for k in ("method", "url", "referenceId")):
            raise SfApiError(400, "JSON_PARSER_ERROR", "Each subrequest needs method, url and referenceId")
        if not re.fullmatch(r"[A-Za-z0-9_]+", sub["referenceId"]) or sub["referenceId"] in seen:
            raise SfApiError(400, "INVALID_INPUT", f"Invalid or duplicate referenceId: {sub['referenceId']}")
        seen.add(sub["referenceId"])
        if not PREFIX.match(sub["url"]):
            raise SfApiError(400, "INVALID_INPUT", f"The url must start with /services/data/: {sub['url']}")
    heavy = sum(1 for s in subs if re.search(r"/(query|queryAll|composite/sobjects)\b", s["url"]))
    if heavy > MAX_QUERIES:
        raise SfApiError(400, "INVALID_BATCH_REQUEST",
                         f"Composite request can have up to {MAX_QUERIES} query or sObject Collections subrequests")
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise SfApiError(400, "JSON_PARSER_ERROR", "allOrNone must be true or false")
    return subs, all_or_none


def subrequest(call: Call, method: str, url: str, body) -> Reply:
    """Run one subrequest (url after /services/data/, with its query string) in its own
    savepoint, through the same routes as a plain HTTP call."""
    from .routes import dispatch

    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)
    params = {k: unquote_plus(v) for k, v in params.items()}
    inner = Call(method=method.upper(), version=call.version, params=params, parsed=body,
                 raw_body=None if body is not None else b"")
    try:
        with transaction.atomic():
            return dispatch(inner, path)
    except SfApiError as exc:
        return error_reply(exc)


def _subcall(call: Call, sub: dict, results: dict) -> Reply:
    url = _substitute(sub["url"], results)
    body = _substitute(sub.get("body"), results) if "body" in sub else None
    return subrequest(call, sub["method"], PREFIX.sub("", url), body)


def run(call: Call) -> Reply:
    subs, all_or_none = _validate(require_object(call.json()))
    results: dict = {}
    out: list[dict] = []
    try:
        with transaction.atomic():
            for index, sub in enumerate(subs):
                try:
                    reply = _subcall(call, sub, results)
                except _Unresolved as missing:
                    ref, path = missing.args
                    reply = Reply(400, [{"errorCode": "PROCESSING_HALTED", "message":
                                         f"Invalid reference specified. No value for {ref}.{path} found in {ref}. "
                                         f"Provided referenceId ('{ref}') or field name ('{path}') might be wrong or "
                                         "the referenced operation failed."}])
                out.append({"body": reply.body, "httpHeaders": reply.headers, "httpStatusCode": reply.status,
                            "referenceId": sub["referenceId"]})
                if reply.status < 300:
                    results[sub["referenceId"]] = reply.body
                elif all_or_none:
                    out += [_halted(s) for s in subs[index + 1:]]
                    raise _Halt()
    except _Halt:
        out = [_halted(s) if item["httpStatusCode"] < 300 else item for s, item in zip(subs, out)]
    return Reply(200, {"compositeResponse": out})


def _halted(sub: dict) -> dict:
    return {"body": [HALTED], "httpHeaders": {}, "httpStatusCode": 400, "referenceId": sub["referenceId"]}

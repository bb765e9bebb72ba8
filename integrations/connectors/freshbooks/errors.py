"""Every FreshBooks error body, read into one sentence finance staff can act on.

Bodies (API reference §1.5, §2.8):
- accounting: {"response": {"errors": [{errno, field, message, object, value}]}} (also
  seen with HTTP 200, so a success is checked for it too);
- 2023 google.rpc style: {"code", "message", "details": [{"reason", "metadata": {...}}]};
- events (callbacks): {"errno", "message", "details": [...]};
- auth service: {"error", "error_description"}.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests


@dataclass
class FreshBooksProblem:
    message: str
    field: str = ""
    errno: int | None = None
    object: str = ""


def problem_from_body(body) -> FreshBooksProblem | None:
    """The first error in a parsed body, or None when the body carries no error."""
    if not isinstance(body, dict):
        return None
    errors = (body.get("response") or {}).get("errors") if isinstance(body.get("response"), dict) else None
    if errors:
        first = errors[0] if isinstance(errors, list) else errors
        more = f" (and {len(errors) - 1} more problem(s))" if isinstance(errors, list) and len(errors) > 1 else ""
        return FreshBooksProblem(str(first.get("message", "")) + more, str(first.get("field") or ""),
                                 _int(first.get("errno")), str(first.get("object") or ""))
    details = body.get("details")
    if "code" in body and isinstance(details, list) and details and isinstance(details[0], dict) and "metadata" in details[0]:
        meta = details[0].get("metadata") or {}
        return FreshBooksProblem(str(meta.get("message") or body.get("message", "")), str(meta.get("field") or ""),
                                 _int(details[0].get("reason")), str(meta.get("object") or ""))
    if "errno" in body and "message" in body:
        extra = "; ".join(str(d) for d in details) if isinstance(details, list) and details else ""
        field = extra.split(":", 1)[0] if extra and ":" in extra else ""
        return FreshBooksProblem(f"{body['message']}{': ' + extra if extra else ''}", field, _int(body.get("errno")))
    if "error" in body:
        description = body.get("error_description") or ""
        error = body["error"] if isinstance(body["error"], str) else str(body["error"])
        return FreshBooksProblem(f"{error}: {description}" if description else error)
    return None


def problem_from_response(response: requests.Response) -> FreshBooksProblem:
    try:
        problem = problem_from_body(response.json())
    except ValueError:
        problem = None
    if problem is None:
        text = (response.text or "").strip().replace("\n", " ")[:200]
        problem = FreshBooksProblem(text or response.reason or "no details given")
    return problem


def problem_sentence(problem: FreshBooksProblem, *, status: int | None, action: str = "") -> str:
    """e.g. "FreshBooks rejected the invoice: 'customerid' is required. (field customerid, error 1001)"."""
    subject = problem.object.replace("_", " ") if problem.object else "the request"
    subject = f"the {subject}" if problem.object else subject
    head = {401: "FreshBooks refused the credentials", 403: "FreshBooks denied access",
            404: f"FreshBooks could not find {subject}", 429: "FreshBooks is rate-limiting requests",
            409: "FreshBooks reported a conflict"}.get(status or 0, f"FreshBooks rejected {subject}")
    if status and status >= 500:
        head = f"FreshBooks had a server error ({status})"
    facts = ", ".join(x for x in (f"field {problem.field}" if problem.field else "",
                                   f"error {problem.errno}" if problem.errno else "") if x)
    return f"{head}{' while ' + action if action else ''}: {problem.message}" + (f" ({facts})" if facts else "")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

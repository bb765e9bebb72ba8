"""Salesforce error bodies → the engine's error classes, with messages finance can read.

Top-level errors are ``[{"message", "errorCode", "fields"}]``; per-record results carry
``{"statusCode", "message", "fields"}``. Both go through ``error_classify``.
"""
from __future__ import annotations

import re

from django.conf import settings

from integrations.errors import AuthError, FatalError, RetryableError, SyncError

RETRYABLE_CODES = {"UNABLE_TO_LOCK_ROW", "QUERY_TIMEOUT", "SERVER_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED",
                   "ALL_OR_NONE_OPERATION_ROLLED_BACK", "PROCESSING_HALTED"}
DUPLICATE_CODES = {"DUPLICATE_VALUE", "DUPLICATES_DETECTED", "DUPLICATE_EXTERNAL_ID"}
ID_RE = re.compile(r"\b([a-zA-Z0-9]{3}[a-zA-Z0-9]{12}(?:[A-Z0-5]{3})?)\b")


class SessionExpired(AuthError):
    """401 INVALID_SESSION_ID: the client refreshes once and retries."""


class DuplicateRecord(FatalError):
    """Salesforce refused a duplicate; ``duplicate_ids`` name the records that already exist,
    so the matcher can bind to one of them instead of creating."""

    def __init__(self, message: str, *, duplicate_ids: list[str] | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.duplicate_ids = duplicate_ids or []


class RecordNotFound(FatalError):
    """404: the record does not exist (or was deleted)."""


class MultipleMatches(FatalError):
    """300: an external id matches several records."""


def _duplicate_ids(error: dict) -> list[str]:
    ids = []
    result = error.get("duplicateResult") or {}
    for match in result.get("matchResults") or []:
        for row in match.get("matchRecords") or []:
            record_id = (row.get("record") or {}).get("Id")
            if record_id:
                ids.append(record_id)
    if not ids and "record with id:" in (error.get("message") or ""):
        ids = ID_RE.findall(error["message"].split("record with id:", 1)[1])
    return ids


def error_classify(error: dict, *, what: str, http_status: int | None = None) -> SyncError:
    """One Salesforce error (top-level or per-record) → engine error with a readable message."""
    code = error.get("errorCode") or error.get("statusCode") or ""
    message = (error.get("message") or "").strip()
    fields = [f for f in error.get("fields") or [] if f]
    field_note = f" (field{'s' if len(fields) > 1 else ''}: {', '.join(fields)})" if fields else ""
    text = f"Salesforce rejected the {what}: {message or code}{field_note}"
    kwargs = dict(http_status=http_status, field=fields[0] if fields else "", detail=error)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return RetryableError(f"Salesforce's daily API limit is used up ({message}); will retry later.",
                              retry_after=settings.SALESFORCE_API_BUDGET_RETRY_SECONDS, **kwargs)
    if code == "UNABLE_TO_LOCK_ROW":
        return RetryableError(f"Salesforce had the record locked by another update ({message}); will retry.",
                              retry_after=5, **kwargs)
    if code in ("ALL_OR_NONE_OPERATION_ROLLED_BACK", "PROCESSING_HALTED"):
        return RetryableError(f"Salesforce rolled back the {what} because another record in the same batch failed; "
                              "will retry.", **kwargs)
    if code in RETRYABLE_CODES:
        return RetryableError(f"Salesforce could not complete the {what} right now ({message or code}); will retry.",
                              **kwargs)
    if code in DUPLICATE_CODES:
        return DuplicateRecord(text, duplicate_ids=_duplicate_ids(error), **kwargs)
    if code == "INVALID_SESSION_ID":
        return SessionExpired("The Salesforce session expired or was revoked.", **kwargs)
    if code == "NOT_FOUND" or http_status == 404:
        return RecordNotFound(f"Salesforce has no such record for the {what} (it may have been deleted).", **kwargs)
    return FatalError(text, **kwargs)


def errors_from_body(body) -> list[dict]:
    if isinstance(body, list):
        return [e for e in body if isinstance(e, dict)]
    if isinstance(body, dict):
        return [body]
    return []

"""Errors the simulated API answers with, in the real bodies.

Top-level REST errors are a JSON list ``[{"message", "errorCode", "fields"?}]``; per-record
results (collections, composite) use ``statusCode`` instead of ``errorCode``.
"""
from __future__ import annotations


class SfApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields
        self.extra = extra or {}

    def body(self) -> list[dict]:
        item = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    def record_error(self) -> dict:
        """The per-record form used inside collection and composite results."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields or [], **self.extra}


def not_found() -> SfApiError:
    return SfApiError(404, "NOT_FOUND", "The requested resource does not exist")


def malformed_id(label: str, value: str, field: str = "Id") -> SfApiError:
    return SfApiError(400, "MALFORMED_ID", f"{label} ID: id value of incorrect type: {value}", [field])


def invalid_field(sobject: str, name: str) -> SfApiError:
    return SfApiError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}", [])


def not_supported(sobject: str) -> SfApiError:
    return SfApiError(404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{sobject}' is not supported.")


def json_parser_error(message: str) -> SfApiError:
    return SfApiError(400, "JSON_PARSER_ERROR", message)


class OAuthError(Exception):
    """Token endpoint errors: ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

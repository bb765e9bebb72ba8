"""A REST call as the handlers see it, whether it came over HTTP or inside a composite request."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..errors import SfApiError, json_parser_error


@dataclass
class Call:
    method: str
    version: str = ""  # set by the router from the URL
    params: dict = field(default_factory=dict)  # query string: name → last value
    raw_body: bytes | None = None
    parsed: object = None  # set directly by composite subrequests
    headers: dict = field(default_factory=dict)  # lower-cased request headers; none in subrequests

    def json(self, *, required: bool = True):
        if self.parsed is not None:
            return self.parsed
        if not self.raw_body:
            if required:
                raise json_parser_error("No content to map due to end-of-input at [line: 1, column: 0]")
            return None
        try:
            self.parsed = json.loads(self.raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
            raise json_parser_error(f"Unexpected character: {getattr(exc, 'msg', 'invalid JSON')} "
                                    f"at [line:{line}, column:{column}]") from None
        return self.parsed

    @property
    def version_number(self) -> float:
        return float(self.version)

    def flag(self, name: str) -> bool:
        return str(self.params.get(name, "")).lower() == "true"


@dataclass
class Reply:
    status: int
    body: object = None  # None: no body (204)
    headers: dict = field(default_factory=dict)


def error_reply(error: SfApiError) -> Reply:
    return Reply(error.status, error.body())


def require_object(value, what: str = "request body") -> dict:
    if not isinstance(value, dict):
        raise SfApiError(400, "JSON_PARSER_ERROR", f"The {what} must be a JSON object.")
    return value

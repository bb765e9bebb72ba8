"""What a system's webhook receiver is: verify a delivery, parse it into events, or answer a
handshake. Plain code over a ``Delivery`` (headers and exact body bytes); the one DRF view
(integrations/triggers/webhooks/) enforces size limits, stores the events before answering
and queues their routing.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Deeper JSON than this is refused before anything reads it: no sender's event needs it, and
# recursive code (parsers, encoders, the database's JSON type) has limits of its own.
MAX_JSON_DEPTH = 64


class WebhookRejected(Exception):
    """Bad input: answered with ``status_code`` and ``detail``; nothing is stored."""

    def __init__(self, detail: str, status_code: int = 400):
        super().__init__(detail)
        self.detail, self.status_code = detail, status_code


@dataclass
class ParsedEvent:
    dedupe_key: str
    event_type: str
    object_type: str = ""
    object_id: str = ""
    action: str = "upsert"  # upsert | delete
    payload: dict = field(default_factory=dict)
    routable: bool = True  # False: stored and ignored (unknown events, pings, echoes)
    ignored_because: str = ""  # what finance reads on an event stored but not routed
    # The dedupe key cannot tell a retried delivery from a second change of the record (FreshBooks sends no
    # delivery id): a repeat arriving after the first copy was routed is routed again (the record is read
    # fresh once more) rather than waiting for the next poll.
    route_repeats: bool = False


@dataclass
class Delivery:
    """One POST as a receiver sees it. ``parsed`` keeps what a hook already parsed (a delivery may
    be checked twice: against a cached connection, then a fresh one)."""

    headers: Mapping[str, str]
    body: bytes
    parsed: dict = field(default_factory=dict)


@dataclass
class Handshake:
    """A verification or ping request, answered 200 with ``answer`` instead of being stored as a delivery.

    ``event`` (if any) is stored, not routed, with ``signature_valid``; ``then`` runs in the same
    transaction, first, and may still refuse the request by raising WebhookRejected (nothing is stored).
    """

    answer: dict
    event: ParsedEvent | None = None
    signature_valid: bool = False
    then: Callable[[], None] | None = None


class Receiver:
    #: the status a stored delivery is answered with
    accepted_status: int = 200

    def handshake(self, delivery: Delivery, connection) -> Handshake | None:
        """Answer a verification/ping request directly, or None."""
        return None

    def verify(self, delivery: Delivery, connection) -> None:
        """Raise WebhookRejected unless the delivery is signed by this connection's sender."""
        raise NotImplementedError

    def parse(self, delivery: Delivery, connection) -> list[ParsedEvent]:
        raise NotImplementedError


class BodyInvalid(ValueError):
    """A body that cannot be read or stored as it is; the message is the sentence to answer with."""


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored as received (PostgreSQL refuses NUL in text and JSON; a lone
    surrogate is not Unicode and breaks every page that shows it), or None."""
    if "\x00" in value:
        return "A text value holds a NUL character (\\u0000), which cannot be stored."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"A text value holds a lone surrogate (\\u{ord(value[exc.start]):04x}), which is not "
                "valid Unicode.")
    return None


def json_problem(data, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why parsed JSON cannot be stored as it is (too deep, unstorable text), or None. Iterative:
    the depth it checks is the depth it must not recurse into."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                return f"The JSON is nested more than {max_depth} levels deep."
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    return problem
                stack.append((item, depth + 1))
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return problem
    return None


# A JSON string (skipped whole) or one bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _nested_deeper(text: str, limit: int) -> bool:
    """Whether JSON text opens more than ``limit`` levels, read without parsing it: the parser
    must never meet deep nesting, since its RecursionError leaves CPython 3.11's recursion
    bookkeeping off (a later compile() in the same process fails)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > limit:
                return True
        elif mark in "]}":
            depth -= 1
    return False


def _no_constants(name: str):
    raise BodyInvalid(f"The body holds {name}, which is not a JSON number.")


def json_body_parse(body: bytes, **kwargs):
    """The body as JSON, or BodyInvalid with a sentence: strict UTF-8 (no surrogate bytes), no
    NaN/Infinity, at most MAX_JSON_DEPTH levels, no NUL or lone surrogate in any text."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyInvalid(f"The body is not valid UTF-8 (byte {exc.start} cannot be decoded).") from None
    if _nested_deeper(text, MAX_JSON_DEPTH):
        raise BodyInvalid(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        data = json.loads(text, parse_constant=_no_constants, **kwargs)
    except RecursionError:  # not reached after the check above; kept as the last line of defence
        raise BodyInvalid(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    except BodyInvalid:
        raise
    except ValueError as exc:
        raise BodyInvalid(f"The body is not valid JSON ({exc}).") from None
    problem = json_problem(data)
    if problem:
        raise BodyInvalid(problem)
    return data

"""A small safe SOQL builder: values are always quoted and escaped here, field and object
names must be plain identifiers; user data is never formatted into a query as text.

    soql_format("SELECT Id FROM Account WHERE Name = {name} AND Id IN {ids}", name=n, ids=[...])
"""
from __future__ import annotations

import re
import string
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
# SOQL string escapes (SOQL and SOSL reference, "Quoted String Escape Sequences").
ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
LIKE_ESCAPES = {"%": "\\%", "_": "\\_"}


class Like(str):
    """A LIKE pattern: % and _ are wildcards, every other character is taken literally."""

    def soql_body(self) -> str:
        return "".join(ESCAPES.get(c, c) for c in self)


class _EscapedLike(Like):
    """A pattern whose SOQL text is already built (user text with its own % and _ escaped)."""

    def __new__(cls, pattern: str, body: str):
        obj = super().__new__(cls, pattern)
        obj._body = body
        return obj

    def soql_body(self) -> str:
        return self._body


def like_contains(text: str) -> Like:
    """A LIKE pattern matching ``text`` anywhere, with the user's own % and _ taken literally."""
    # Each character is escaped exactly once, so a user's backslash before a wildcard
    # can never turn into an escape of that wildcard.
    body = "".join(LIKE_ESCAPES.get(c) or ESCAPES.get(c, c) for c in text)
    return _EscapedLike("%" + text + "%", "%" + body + "%")


def soql_identifier(name: str) -> str:
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise ValueError(f"Not a SOQL field or object name: {name!r}")
    return name


def soql_quote(value) -> str:
    """One value as a SOQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("SOQL has no NaN or infinity")
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("SOQL datetimes must be timezone-aware")
        return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Like):
        return "'" + value.soql_body() + "'"
    if isinstance(value, str):
        return "'" + "".join(ESCAPES.get(c, c) for c in value) + "'"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if not items:
            raise ValueError("IN () needs at least one value")
        return "(" + ", ".join(soql_quote(v) for v in items) + ")"
    raise TypeError(f"Cannot use {type(value).__name__} in SOQL")


def soql_format(template: str, **values) -> str:
    """Fill ``{name}`` placeholders with quoted values; ``{name:field}`` takes an identifier."""
    out = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        if conversion or (spec and spec != "field"):
            raise ValueError(f"Unsupported placeholder {{{name}!{conversion}:{spec}}}")
        if name not in values:
            raise KeyError(f"No value given for {{{name}}}")
        out.append(soql_identifier(values[name]) if spec == "field" else soql_quote(values[name]))
    return "".join(out)


def soql_select(fields: list[str], sobject: str) -> str:
    return f"SELECT {', '.join(soql_identifier(f) for f in fields)} FROM {soql_identifier(sobject)}"

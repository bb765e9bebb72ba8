"""WHERE clauses compiled to predicates, typed by the field they compare (text compares
case-insensitively, ids in their 18-character form, dates and datetimes as instants,
date literals as ranges)."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from datetime import timezone as dt_timezone

from ..ids import id_normalise
from ..values import parse_date, parse_datetime
from .dates import date_literal_range
from .lexer import LITERAL_PERCENT, LITERAL_UNDERSCORE, pointer_error
from .parser import BoolOp, Comparison, Literal, Not

TEXT = {"string", "textarea", "email", "phone", "url", "picklist"}
NUMBER = {"currency", "double", "percent", "int"}
TYPE_WORDS = {"boolean": "boolean", "date": "date", "datetime": "dateTime", "id": "id", "reference": "id"}


def field_value(executor, record, hops, final):
    current = record
    for ref_field, _ in hops:
        current = executor.lookup(current.fields.get(ref_field.name)) if current else None
    if current is None:
        return None
    value = current.fields.get(final.name)
    if value is None:
        return None
    if final.type == "date":
        return parse_date(value)
    if final.type == "datetime":
        return parse_datetime(value)
    return value


def _plain(text: str) -> str:
    return text.replace(LITERAL_UNDERSCORE, "_").replace(LITERAL_PERCENT, "%")


def like_regex(pattern: str) -> re.Pattern:
    out = []
    for char in pattern:
        out.append({"%": ".*", "_": ".", LITERAL_UNDERSCORE: "_", LITERAL_PERCENT: "%"}.get(char, None) or re.escape(char))
    return re.compile("^" + "".join(out) + "$", re.I | re.S)


class FilterCompiler:
    def __init__(self, executor, obj, query):
        self.executor, self.obj, self.query = executor, obj, query

    def compile(self, node):
        if isinstance(node, BoolOp):
            parts = [self.compile(item) for item in node.items]
            return (lambda r: all(p(r) for p in parts)) if node.op == "AND" else (lambda r: any(p(r) for p in parts))
        if isinstance(node, Not):
            inner = self.compile(node.item)
            return lambda r: not inner(r)
        return self.comparison(node)

    def mismatch(self, literal: Literal, field) -> Exception:
        word = TYPE_WORDS.get(field.type, "string" if field.type in TEXT else "number")
        hint = " and should not be enclosed in quotes" if literal.kind == "string" else ""
        return pointer_error(self.query.text, literal.pos, "INVALID_QUERY_FILTER_OPERATOR",
                             f"value of filter criterion for field '{field.name}' must be of type {word}{hint}")

    def operand(self, literal: Literal, field):
        """The literal in the field's comparison type; a (start, end) tuple for date literals."""
        kind = field.type
        if literal.kind == "null":
            return None
        if kind in TEXT:
            if literal.kind != "string":
                raise self.mismatch(literal, field)
            return literal.value
        if kind in ("id", "reference"):
            if literal.kind != "string":
                raise self.mismatch(literal, field)
            normal = id_normalise(_plain(literal.value))
            if normal is None:
                raise pointer_error(self.query.text, literal.pos, "INVALID_QUERY_FILTER_OPERATOR",
                                    f"invalid ID field: {_plain(literal.value)}")
            return normal
        if kind == "boolean":
            if literal.kind != "boolean":
                raise self.mismatch(literal, field)
            return literal.value
        if kind in NUMBER:
            if literal.kind != "number":
                raise self.mismatch(literal, field)
            return literal.value
        if literal.kind == "date_literal":
            span = date_literal_range(literal.value, literal.n)
            if span is None:
                raise pointer_error(self.query.text, literal.pos, "MALFORMED_QUERY", f"unexpected token: {literal.value}")
            if kind == "datetime":
                return tuple(datetime.combine(d, time(), tzinfo=dt_timezone.utc) for d in span)
            return span
        if kind == "date" and literal.kind == "date":
            return date.fromisoformat(literal.value)
        if kind == "datetime" and literal.kind == "datetime":
            return parse_datetime(literal.value)
        raise self.mismatch(literal, field)

    def comparison(self, node: Comparison):
        hops, final = self.executor.resolver.resolve(self.obj, node.field)
        get = lambda r: field_value(self.executor, r, hops, final)  # noqa: E731
        if node.op == "LIKE":
            if final.type not in TEXT and final.type not in ("id", "reference"):
                raise self.mismatch(node.value, final)
            pattern = like_regex(node.value.value)
            return lambda r: get(r) is not None and bool(pattern.match(str(get(r))))
        if node.op in ("IN", "NOT IN"):
            values = {self._key(self.operand(v, final)) for v in node.value}
            inside = lambda r: self._key(get(r)) in values  # noqa: E731
            return inside if node.op == "IN" else (lambda r: not inside(r))
        operand = self.operand(node.value, final)
        if isinstance(operand, tuple):
            return self._range(node.op, operand, get)
        return self._compare(node.op, operand, get, final)

    @staticmethod
    def _key(value):
        return _plain(value).lower() if isinstance(value, str) else value

    def _compare(self, op, operand, get, field):
        if operand is None:
            if op not in ("=", "!="):
                raise pointer_error(self.query.text, 0, "MALFORMED_QUERY", "null can only be compared with = or !=")
            return (lambda r: get(r) is None) if op == "=" else (lambda r: get(r) is not None)
        key = self._key(operand) if field.type in TEXT else operand

        def test(record):
            value = get(record)
            if value is None:
                return op == "!="
            value = self._key(value) if field.type in TEXT else value
            return {"=": value == key, "!=": value != key, "<": value < key, ">": value > key,
                    "<=": value <= key, ">=": value >= key}[op]
        return test

    @staticmethod
    def _range(op, span, get):
        start, end = span

        def test(record):
            value = get(record)
            if value is None:
                return op == "!="
            inside = start <= value < end
            return {"=": inside, "!=": not inside, "<": value < start, "<=": value < end,
                    ">": value >= end, ">=": value >= start}[op]
        return test

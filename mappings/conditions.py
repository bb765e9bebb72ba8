"""Conditions as data: ``{"field": "StageName", "op": "eq", "value": "Closed Won"}``.

Forms:
- ``{"field": <source path>, "op": <operator>, "value": <constant>}`` tests the source record;
- ``{"target": <target field>, "op": …}`` tests another field this mapping set produced
  (the engine maps that field first, and refuses cycles);
- ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}`` combine them.
Nothing is evaluated as code.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .paths import MISSING, PathSyntaxError, path_get, path_parse

MAX_DEPTH = 10


def _blank(v) -> bool:
    return v is None or v is MISSING or (isinstance(v, str) and not v.strip()) or v == [] or v == {}


def _number(v):
    if isinstance(v, bool) or v is None or v is MISSING:
        return None
    try:
        d = Decimal(str(v).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _compare(a, b):
    """-1/0/1 comparing numerically when both sides are numbers, else as text."""
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    sa, sb = "" if _blank(a) else str(a), "" if _blank(b) else str(b)
    return (sa > sb) - (sa < sb)


def _equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    return _compare(a, b) == 0


def _text(v) -> str:
    return "" if _blank(v) else str(v)


OPERATORS = {
    "eq": lambda a, b: _equal(a, b),
    "ne": lambda a, b: not _equal(a, b),
    "gt": lambda a, b: not _blank(a) and _compare(a, b) > 0,
    "gte": lambda a, b: not _blank(a) and _compare(a, b) >= 0,
    "lt": lambda a, b: not _blank(a) and _compare(a, b) < 0,
    "lte": lambda a, b: not _blank(a) and _compare(a, b) <= 0,
    "in": lambda a, b: any(_equal(a, x) for x in b),
    "not_in": lambda a, b: not any(_equal(a, x) for x in b),
    "contains": lambda a, b: str(b) in _text(a) if not isinstance(a, (list, dict)) else b in a,
    "starts_with": lambda a, b: _text(a).startswith(str(b)),
    "ends_with": lambda a, b: _text(a).endswith(str(b)),
    "matches": lambda a, b: re.search(str(b), _text(a)) is not None,
    "is_blank": lambda a, b: _blank(a),
    "not_blank": lambda a, b: not _blank(a),
    "is_true": lambda a, b: a is True or _text(a).lower() in {"true", "1", "yes", "y"},
}
UNARY = {"is_blank", "not_blank", "is_true"}
LIST_OPERANDS = {"in", "not_in"}


def condition_validate(condition, *, depth: int = 0) -> list[str]:
    """Readable problems with a condition (empty list = fine)."""
    if depth > MAX_DEPTH:
        return [f"The condition is nested more than {MAX_DEPTH} levels deep."]
    if not isinstance(condition, dict):
        return [f"A condition must be an object like {{\"field\": …, \"op\": …, \"value\": …}}, not {condition!r}."]
    for combinator in ("all", "any"):
        if combinator in condition:
            parts = condition[combinator]
            if not isinstance(parts, list) or not parts:
                return [f"'{combinator}' needs a non-empty list of conditions."]
            return [e for part in parts for e in condition_validate(part, depth=depth + 1)]
    if "not" in condition:
        return condition_validate(condition["not"], depth=depth + 1)
    problems = []
    operand_keys = [k for k in ("field", "target") if k in condition]
    if len(operand_keys) != 1:
        problems.append("A condition names exactly one of 'field' (a source path) or 'target' (a mapped field).")
    else:
        try:
            path_parse(str(condition[operand_keys[0]]))
        except PathSyntaxError as exc:
            problems.append(str(exc))
    op = condition.get("op", "eq")
    if op not in OPERATORS:
        problems.append(f"Unknown operator '{op}'. Use one of: {', '.join(OPERATORS)}.")
    elif op in LIST_OPERANDS and not isinstance(condition.get("value"), list):
        problems.append(f"The operator '{op}' needs a list as its value.")
    elif op == "matches":
        try:
            re.compile(str(condition.get("value", "")))
        except re.error as exc:
            problems.append(f"The pattern {condition.get('value')!r} is not a valid regular expression: {exc}.")
    elif op not in UNARY and "value" not in condition:
        problems.append(f"The operator '{op}' needs a 'value'.")
    return problems


def condition_targets(condition) -> set[str]:
    """The mapped target fields a condition depends on (for ordering and cycle checks)."""
    if not isinstance(condition, dict):
        return set()
    for combinator in ("all", "any"):
        if isinstance(condition.get(combinator), list):
            return set().union(*(condition_targets(c) for c in condition[combinator]))
    if "not" in condition:
        return condition_targets(condition["not"])
    return {str(condition["target"])} if "target" in condition else set()


def condition_holds(condition, *, record, root=None, targets: dict | None = None) -> bool:
    """Evaluate a validated condition against the source record (and already-mapped targets)."""
    if condition is None:
        return True
    if "all" in condition:
        return all(condition_holds(c, record=record, root=root, targets=targets) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, record=record, root=root, targets=targets) for c in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], record=record, root=root, targets=targets)
    if "target" in condition:
        actual = path_get(targets or {}, str(condition["target"]))
    else:
        actual = path_get(record, str(condition["field"]), root=root)
    return bool(OPERATORS[condition.get("op", "eq")](actual, condition.get("value")))

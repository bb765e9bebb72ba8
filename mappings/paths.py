"""Dotted paths into nested records: ``Account.Name``, ``OpportunityLineItems.records``, ``lines[0].qty``.

A path is a list of steps; a step is a dict key or a list index. Reading never raises: a
missing step yields MISSING, so the engine can tell "absent" from "present but null".
"""
from __future__ import annotations

import re

ROOT = "$root"


class _Missing:
    def __repr__(self):
        return "MISSING"

    def __bool__(self):
        return False


MISSING = _Missing()

_STEP = re.compile(r"([^.\[\]]+)?((?:\[-?\d+\])*)")
_INDEX = re.compile(r"\[(-?\d+)\]")


class PathSyntaxError(ValueError):
    pass


def path_parse(path: str) -> list[str | int]:
    """'lines[0].unit_cost.amount' → ['lines', 0, 'unit_cost', 'amount']."""
    if not path or not path.strip():
        raise PathSyntaxError("The path is empty.")
    steps: list[str | int] = []
    for part in path.strip().split("."):
        match = _STEP.fullmatch(part)
        if not part or match is None or (match.group(1) is None and not match.group(2)):
            raise PathSyntaxError(f"'{path}' is not a valid path (check the dots and [n] indexes).")
        if match.group(1) is not None:
            steps.append(match.group(1).strip())
        steps.extend(int(i) for i in _INDEX.findall(match.group(2)))
    return steps


def path_get(record, path: str, *, root=None):
    """The value at path, or MISSING. ``$root.x`` reads from the top-level record."""
    steps = path_parse(path)
    current = record
    if steps and steps[0] == ROOT:
        current, steps = (record if root is None else root), steps[1:]
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return MISSING
            current = current[step]
        elif isinstance(current, dict) and step in current:
            current = current[step]
        else:
            return MISSING
    return current


def path_set(payload: dict, path: str, value) -> None:
    """Write value at path, creating dicts and padding lists on the way."""
    steps = path_parse(path)
    if isinstance(steps[0], int) or steps[0] == ROOT:
        raise PathSyntaxError(f"'{path}' must start with a field name.")
    current = payload
    for step, next_step in zip(steps, steps[1:] + [None]):
        container = [] if isinstance(next_step, int) else {}
        if next_step is None:
            _put(current, step, value)
            return
        existing = _peek(current, step)
        if not isinstance(existing, (dict, list)):
            existing = container
            _put(current, step, existing)
        current = existing


def _peek(container, step):
    if isinstance(step, int):
        return container[step] if isinstance(container, list) and step < len(container) else None
    return container.get(step) if isinstance(container, dict) else None


def _put(container, step, value):
    if isinstance(step, int):
        if not isinstance(container, list) or step < 0:
            raise PathSyntaxError("A list index in a target path must be 0 or more, inside a list.")
        while len(container) <= step:
            container.append({})
        container[step] = value
    else:
        if not isinstance(container, dict):
            raise PathSyntaxError(f"Cannot set '{step}' inside a list; add an [n] index.")
        container[step] = value


def path_is_root(path: str) -> bool:
    return path.strip().startswith(ROOT + ".") or path.strip() == ROOT

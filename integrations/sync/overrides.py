"""Edit & retry: named mapped fields replaced for one attempt (operations/attention.py sets them).

Only the payload sent to the target changes; the source record is never written.
"""
from __future__ import annotations

import copy

from mappings.paths import path_set


def fields_override(payload: dict, overrides: dict) -> dict:
    """The payload with each ``{"dotted.field": value}`` of ``overrides`` set in a copy."""
    if not overrides:
        return payload
    out = copy.deepcopy(payload)
    for field, value in overrides.items():
        path_set(out, field, value)
    return out

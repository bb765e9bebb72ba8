"""A dead letter's cause as structured fields, stored when the item dies (``SyncItem.cause_*``).

Items that fail for the same reason — same flow, step, error class and the table/field/value the
error names — share one ``cause_key``, so the error console groups them with a count and one fix
(operations/causes.py) without parsing the sentence finance reads. Ids and amounts that differ
from record to record stay out of the key.
"""
from __future__ import annotations

import re

from integrations.errors import MappingError

MAX_KEY = 300
MAX_LABEL = 400


def _field_shape(field: str) -> str:
    """``lines[3].account`` → ``lines[].account``: every line of every record is one field."""
    return re.sub(r"\[\d+\]", "[]", field or "")


def failure_cause(*, flow, step: str, exc: BaseException) -> dict:
    """``{"cause_key", "cause_label", "cause_fix"}`` of an item dying of ``exc`` in ``step``."""
    error_class = type(exc).__name__
    fix = dict(getattr(exc, "fix", None) or {}) if isinstance(exc, MappingError) else {}
    field = _field_shape(getattr(exc, "field", "") or "")
    if fix.get("value_table"):
        fix.update(mapping_set_id=flow.mapping_set_id, field=field)
        what = f"{field.rsplit('.', 1)[-1].replace('_', ' ')} " if field else ""
        key_parts = [flow.pk, step, error_class, field, fix["value_table"], fix.get("key", "")]
        label = f"{what}'{fix.get('key', '')}' not in {fix['value_table']}"
    else:
        status = getattr(exc, "http_status", None) or ""
        key_parts = [flow.pk, step, error_class, field, status]
        if isinstance(exc, MappingError):
            fix = {"mapping_set_id": flow.mapping_set_id, "field": field}
            label = f"{field or 'the record'} cannot be mapped"
        else:
            message = str(getattr(exc, "message", "") or exc).strip()
            if message and len(message) <= 160 and not re.search(r"\d", message):
                # A sentence naming no record (no ids, amounts or dates) is the cause itself.
                key_parts.append(message)
                label = message.rstrip(".")
            else:
                label = f"{error_class} while {step or 'starting'}" + (f" ({field})" if field else "") + (
                    f", HTTP {status}" if status else "")
        fix["connection_id"] = flow.target_connection_id or flow.source_connection_id
    return {
        "cause_key": "|".join(str(p) for p in key_parts)[:MAX_KEY],
        "cause_label": f"{flow.name}: {label}"[:MAX_LABEL],
        "cause_fix": fix,
    }


def cause_step(cause_key: str) -> str:
    """The engine step a dead letter died in, from its cause key ("" when it has none)."""
    parts = (cause_key or "").split("|")
    return parts[1] if len(parts) > 2 else ""

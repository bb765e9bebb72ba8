"""A recorded change event (SfChangeEvent: header + the values it carries) as the Avro record the
Pub/Sub API delivers, and its schemaless binary encoding.

Body semantics (Change Event Body Fields, Pub/Sub form): every field is present; on UPDATE only
changed fields carry a value and unchanged ones are null even when the record has a value; on
DELETE everything is empty. changedFields / nulledFields / diffFields are hex bitmaps over the
schema's top-level field order (bit 0 = ChangeEventHeader; bit i of the number = field i); a
compound field's changed parts are a separate "N-0x…" entry, N being the compound's index. The
first entry covers the non-compound fields only ("Event Deserialization Considerations").
"""
from __future__ import annotations

import io
from datetime import date

import fastavro

from ..models import SfChangeEvent
from ..values import parse_datetime
from .schemas import Compound, EventSchema

EPOCH = date(1970, 1, 1)
WITH_VALUES = {"CREATE", "UNDELETE"}


def _avro_value(kind: str, value):
    """A stored (REST-form) value in its Pub/Sub form."""
    if value is None:
        return None
    if kind == "date":
        return (date.fromisoformat(value) - EPOCH).days
    if kind == "datetime":
        parsed = parse_datetime(value)
        return None if parsed is None else int(parsed.timestamp() * 1000)
    if kind in ("currency", "double", "percent"):
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "boolean":
        return bool(value)
    return str(value)


def _bitmap(bits: int) -> str:
    return f"0x{bits:X}"


def event_record(event: SfChangeEvent, schema: EventSchema) -> dict:
    header = event.header
    change_type = event.change_type
    values = event.fields if change_type != "DELETE" else {}
    changed_names = set(header.get("changedFields") or []) if change_type == "UPDATE" else set()
    changed = nulled = 0
    nested_changed: list[str] = []
    nested_nulled: list[str] = []
    body: dict = {}
    for index, slot in enumerate(schema.slots, start=1):
        if isinstance(slot, Compound):
            parts = {}
            part_changed = part_nulled = 0
            for bit, (part, flat, avro) in enumerate(slot.parts):
                kind = "double" if avro == "double" else "string"
                value = _avro_value(kind, values.get(flat))
                if change_type == "UPDATE":
                    if flat in changed_names:
                        part_changed |= 1 << bit
                        part_nulled |= (value is None) << bit
                    else:
                        value = None
                parts[part] = value
            if change_type == "UPDATE":
                body[slot.name] = parts if part_changed else None
                if part_changed:
                    nested_changed.append(f"{index}-{_bitmap(part_changed)}")
                if part_nulled:
                    nested_nulled.append(f"{index}-{_bitmap(part_nulled)}")
            else:
                body[slot.name] = parts if any(v is not None for v in parts.values()) else None
            continue
        value = _avro_value(slot.type, values.get(slot.name))
        if change_type == "UPDATE":
            if slot.name in changed_names:
                changed |= 1 << index
                nulled |= (value is None) << index
            else:
                value = None
        elif change_type not in WITH_VALUES:
            value = None
        body[slot.name] = value
    record_header = {
        "entityName": header["entityName"], "recordIds": list(header["recordIds"]), "changeType": change_type,
        "changeOrigin": header.get("changeOrigin") or "", "transactionKey": header.get("transactionKey") or "",
        "sequenceNumber": int(header.get("sequenceNumber") or 0),
        "commitTimestamp": int(header.get("commitTimestamp") or 0),
        "commitNumber": int(header.get("commitNumber") or 0), "commitUser": header.get("commitUser") or "",
        "nulledFields": ([_bitmap(nulled)] if nulled or nested_nulled else []) + nested_nulled,
        "diffFields": [],  # the simulator never sends a field as a diff (that is for long text fields)
        "changedFields": ([_bitmap(changed)] if changed or nested_changed else []) + nested_changed,
    }
    return {"ChangeEventHeader": record_header, **body}


def event_encode(event: SfChangeEvent, schema: EventSchema) -> bytes:
    """The event's Avro binary payload (schemaless: the schema travels by id)."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema.parsed, event_record(event, schema))
    return out.getvalue()

"""Avro schemas of event topics: fetched with GetSchema by schema id, cached, and read for their
field order (what changedFields/nulledFields/diffFields bitmaps index into)."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import fastavro

from pubsub_wire import pubsub_api_pb2


@dataclass(frozen=True)
class EventSchema:
    schema_id: str
    parsed: dict  # fastavro's parsed schema
    field_order: list  # names; a compound field is (name, [sub-field names])


def _record_of(avro_type, named: dict) -> dict | None:
    """The record a field's type is (directly, inside a union, or by a name defined earlier)."""
    if isinstance(avro_type, list):
        for branch in avro_type:
            record = _record_of(branch, named)
            if record is not None:
                return record
        return None
    if isinstance(avro_type, str):
        return named.get(avro_type) or named.get(avro_type.rpartition(".")[2])
    if isinstance(avro_type, dict) and avro_type.get("type") == "record":
        return avro_type
    return None


def _collect_named(avro_type, named: dict) -> None:
    if isinstance(avro_type, list):
        for branch in avro_type:
            _collect_named(branch, named)
    elif isinstance(avro_type, dict):
        if avro_type.get("type") == "record" and avro_type.get("name"):
            named[avro_type["name"]] = avro_type
            if avro_type.get("namespace"):
                named[f"{avro_type['namespace']}.{avro_type['name']}"] = avro_type
            for item in avro_type.get("fields", []):
                _collect_named(item.get("type"), named)


def schema_field_order(schema_json: str | dict) -> list:
    """The event's top-level field order, bit 0 first (ChangeEventHeader); a field whose type is a
    record other than the header (BillingAddress, Name) is (name, [its fields in order])."""
    schema = json.loads(schema_json) if isinstance(schema_json, str) else schema_json
    named: dict = {}
    _collect_named(schema, named)
    order = []
    for item in schema.get("fields", []):
        record = _record_of(item.get("type"), named) if item["name"] != "ChangeEventHeader" else None
        order.append((item["name"], [sub["name"] for sub in record.get("fields", [])]) if record else item["name"])
    return order


def event_schema_parse(schema_id: str, schema_json: str) -> EventSchema:
    raw = json.loads(schema_json)
    return EventSchema(schema_id=schema_id, parsed=fastavro.parse_schema(raw), field_order=schema_field_order(raw))


class SchemaCache:
    """Schemas by id for one subscriber process: a schema id names one immutable schema."""

    def __init__(self):
        self._schemas: dict[str, EventSchema] = {}
        self._lock = threading.Lock()

    def get(self, stub, schema_id: str, *, metadata) -> EventSchema:
        schema = self._schemas.get(schema_id)
        if schema is None:
            info = stub.GetSchema(pubsub_api_pb2.SchemaRequest(schema_id=schema_id), metadata=metadata, timeout=30)
            schema = event_schema_parse(schema_id, info.schema_json)
            with self._lock:
                self._schemas[schema_id] = schema
        return schema

"""One Pub/Sub ConsumerEvent → a ChangeEvent (events.py), decoded against its Avro schema.

The payload is Avro binary (schemaless: the schema comes from GetSchema by the event's schema
id). changedFields, nulledFields and diffFields are hex bitmaps over that schema's field order
("N-0x…" entries over compound field N's own fields). Compound fields are flattened into the
flat names the REST API and the rest of Ledgerlink use: BillingAddress.City → BillingCity,
Name.LastName → LastName.

In a Pub/Sub event every field is present and an unchanged one is null even when it has a
value: the kept body holds the fields that carry a value or were nulled (nulledFields).
"""
from __future__ import annotations

import io

import fastavro

from integrations.connectors.salesforce.events import ChangeEvent, bitmap_decode, event_parse
from integrations.connectors.salesforce.pubsub.schemas import EventSchema

_ADDRESS = "Address"


def flat_name(compound: str, part: str) -> str:
    """The flat field name of a compound field's part, as the REST API names it."""
    if compound.endswith(_ADDRESS) and compound != _ADDRESS:
        return compound[: -len(_ADDRESS)] + part  # BillingAddress.City → BillingCity
    return part  # Name.FirstName → FirstName (Contact/Lead names are flat fields already)


def _flatten_name(name: str) -> str:
    compound, _, part = name.partition(".")
    return flat_name(compound, part) if part else name


def _flatten_fields(payload: dict) -> dict:
    flat = {}
    for key, value in payload.items():
        if key == "ChangeEventHeader":
            continue
        if isinstance(value, dict):
            for part, sub in value.items():
                flat[flat_name(key, part)] = sub
        else:
            flat[key] = value
    return flat


def avro_decode(payload: bytes, schema: EventSchema) -> dict:
    return fastavro.schemaless_reader(io.BytesIO(payload), schema.parsed, None)


def consumer_event_decode(consumer_event, schema: EventSchema) -> ChangeEvent:
    """A ConsumerEvent (pubsub_api_pb2) → ChangeEvent; the replay id kept as hex (it is opaque bytes)."""
    payload = avro_decode(consumer_event.event.payload, schema)
    header = payload.get("ChangeEventHeader") or {}
    order = schema.field_order
    event = event_parse({"replayId": consumer_event.replay_id.hex(), "payload": payload}, field_order=order)
    event.changed_fields = [_flatten_name(n) for n in event.changed_fields]
    event.nulled_fields = [_flatten_name(n) for n in bitmap_decode(header.get("nulledFields") or [], order)]
    event.diff_fields = [_flatten_name(n) for n in bitmap_decode(header.get("diffFields") or [], order)]
    nulled = set(event.nulled_fields)
    event.fields = {k: v for k, v in _flatten_fields(payload).items() if v is not None or k in nulled}
    event.event_uuid = consumer_event.event.id
    return event

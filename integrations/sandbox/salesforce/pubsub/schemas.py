"""One Avro schema per Change Data Capture entity, shaped like Salesforce's `<Entity>ChangeEvent`
schemas: field 0 is the ChangeEventHeader record, then every field of the entity in describe
order, each optional (["null", type]). Compound fields are nested records, as in the real
schemas: an address (Account BillingAddress/ShippingAddress, Contact MailingAddress) and a
Contact's Name are one field built from the simulator's flat fields, placed where the first of
those flat fields stands. The bitmaps in the header count over this top-level field order.

Dates are longs (days since the epoch) and datetimes longs (milliseconds since the epoch), the
Pub/Sub form; currency, double and percent are doubles. The schema id is a fingerprint of the
schema's JSON, so it changes exactly when the schema does (e.g. multi-currency adds
CurrencyIsoCode).
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

import fastavro

from ..catalog import sobject_view
from ..schema import CDC_OBJECTS, Field, is_custom, sobject_get

NAMESPACE = "com.sforce.eventbus"
# Fields a change event body never carries: the record id travels in header.recordIds, and the
# docs list IsDeleted and SystemModstamp as absent from change events.
NOT_IN_BODY = {"Id", "IsDeleted", "SystemModstamp"}
CHANGE_TYPES = ["CREATE", "UPDATE", "DELETE", "UNDELETE", "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE",
                "GAP_OVERFLOW", "SNAPSHOT"]
STRING_ARRAY = {"type": "array", "items": "string"}
HEADER = {
    "type": "record", "name": "ChangeEventHeader", "namespace": NAMESPACE, "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": STRING_ARRAY},
        {"name": "changeType", "type": {"type": "enum", "name": "ChangeType", "namespace": NAMESPACE,
                                        "symbols": CHANGE_TYPES}},
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": STRING_ARRAY},
        {"name": "diffFields", "type": STRING_ARRAY},
        {"name": "changedFields", "type": STRING_ARRAY},
    ]}
AVRO_TYPES = {"boolean": "boolean", "currency": "double", "double": "double", "percent": "double", "int": "int",
              "date": "long", "datetime": "long"}  # everything else is a string


@dataclass(frozen=True)
class Compound:
    """A compound field: a nested record whose parts come from flat fields of the record."""

    name: str
    record: str  # the Avro record type's name
    parts: tuple[tuple[str, str, str], ...]  # (sub-field, flat field it is built from, Avro type)
    absorbs: tuple[str, ...] = ()  # flat fields that disappear into it without being a part

    def flat_fields(self) -> set[str]:
        return {flat for _, flat, _ in self.parts} | set(self.absorbs)


def _address(prefix: str) -> Compound:
    parts = [(p, f"{prefix}{p}", "string") for p in ("Street", "City", "State", "PostalCode", "Country")]
    parts += [("Latitude", f"{prefix}Latitude", "double"), ("Longitude", f"{prefix}Longitude", "double"),
              ("GeocodeAccuracy", f"{prefix}GeocodeAccuracy", "string")]
    return Compound(f"{prefix}Address", "Address", tuple(parts))


COMPOUNDS: dict[str, tuple[Compound, ...]] = {
    "Account": (_address("Billing"), _address("Shipping")),
    # Name's parts replace FirstName/LastName, and the read-only full Name is the compound itself.
    "Contact": (Compound("Name", "PersonName", (("Salutation", "Salutation", "string"),
                                                ("FirstName", "FirstName", "string"),
                                                ("LastName", "LastName", "string")), absorbs=("Name",)),
                _address("Mailing")),
}


@dataclass(frozen=True)
class EventSchema:
    entity: str
    slots: tuple[Field | Compound, ...]  # the body's fields in schema order (index + 1 = bit)
    schema: dict
    schema_json: str
    schema_id: str
    parsed: dict  # fastavro's parsed form, for the writer


def org_fields(entity: str, multi_currency: bool) -> tuple[Field, ...]:
    """The entity's fields in this org: the org decides which custom fields exist (ours installed
    or not, those created through the Tooling API: catalog.py), the caller the currency field."""
    base, org = sobject_get(entity, multi_currency=multi_currency), sobject_view(entity, as_api_user=False)
    present, known = {f.name for f in org.fields}, {f.name for f in base.fields}
    fields = [f for f in base.fields if not is_custom(f) or f.name in present]
    return tuple(fields + [f for f in org.fields if f.name not in known])


def _slots(entity: str, fields: tuple[Field, ...]) -> tuple[Field | Compound, ...]:
    owner = {flat: c for c in COMPOUNDS.get(entity, ()) for flat in c.flat_fields()}
    slots: list[Field | Compound] = []
    for f in fields:
        if f.name in NOT_IN_BODY:
            continue
        compound = owner.get(f.name)
        if compound is None:
            slots.append(f)
        elif compound not in slots:
            slots.append(compound)
    return tuple(slots)


def _avro_field(slot: Field | Compound, defined: set[str]) -> dict:
    if isinstance(slot, Compound):
        if slot.record in defined:  # an Avro named type is defined once, then referred to by name
            kind = f"{NAMESPACE}.{slot.record}"
        else:
            defined.add(slot.record)
            kind = {"type": "record", "name": slot.record, "namespace": NAMESPACE, "fields": [
                {"name": part, "type": ["null", avro], "default": None} for part, _, avro in slot.parts]}
        return {"name": slot.name, "type": ["null", kind], "default": None, "doc": "Data:Compound"}
    doc = {"date": "Data:DateOnly", "datetime": "Data:DateTime"}.get(slot.type, f"Data:{slot.type}")
    return {"name": slot.name, "type": ["null", AVRO_TYPES.get(slot.type, "string")], "default": None, "doc": doc}


def event_schema(entity: str, multi_currency: bool = False) -> EventSchema:
    """The schema for the org's current fields (a created custom field is a new schema, new id)."""
    schema = _event_schema(entity, org_fields(entity, multi_currency))
    _SERVED[schema.schema_id] = schema  # events written under an older field set keep their schema
    return schema


_SERVED: dict[str, EventSchema] = {}


@lru_cache(maxsize=64)
def _event_schema(entity: str, fields: tuple[Field, ...]) -> EventSchema:
    slots = _slots(entity, fields)
    defined: set[str] = set()
    schema = {"type": "record", "name": f"{entity}ChangeEvent", "namespace": NAMESPACE,
              "fields": [{"name": "ChangeEventHeader", "type": HEADER}] + [_avro_field(s, defined) for s in slots]}
    text = json.dumps(schema, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).digest()[:16]
    schema_id = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return EventSchema(entity=entity, slots=slots, schema=schema, schema_json=text, schema_id=schema_id,
                       parsed=fastavro.parse_schema(json.loads(text)))


def schema_by_id(schema_id: str) -> EventSchema | None:
    """Any schema this org has served, in either currency mode (events keep their schema id)."""
    if schema_id in _SERVED:
        return _SERVED[schema_id]
    for entity in sorted(CDC_OBJECTS):
        for multi_currency in (False, True):
            found = event_schema(entity, multi_currency)
            if found.schema_id == schema_id:
                return found
    return None

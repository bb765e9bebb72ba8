"""Known record shapes of the systems Ledgerlink talks to (from the API references): the types
here, the tables with each system (see schemas_known).

Used to check target fields on save, to propose field pairs (suggestions), and to show an
admin what a record looks like. Field names are exactly the APIs': FreshBooks client
`organization`/`fname`/`p_street`, Salesforce `Account.Name`/`BillingStreet`, M3 `CUNM`/`CUA1`.
A schema marked `open` also accepts fields it does not list (Salesforce custom fields `…__c`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: str  # text, email, phone, decimal, int, bool, date, datetime, money, code, id, list, object
    max_length: int | None = None
    required: bool = False
    example: object = None
    children: dict = field(default_factory=dict)  # for list/object fields: name → SchemaField
    # What describe tells (Salesforce) or a descriptor declares (FreshBooks, Infor); the defaults
    # keep hand-written schemas as they were.
    label: str = ""
    picklist: tuple = ()  # the allowed values, when the field is a picklist
    createable: bool = True
    updateable: bool = True
    external_id: bool = False  # an external-id field: a record can be found by it (match rules)


@dataclass(frozen=True)
class Schema:
    system: str
    object: str
    fields: dict
    open_suffix: str = ""  # e.g. "__c": custom fields allowed
    label: str = ""
    described: bool = False  # read from the system itself (Salesforce describe), not written by hand

    def field_names(self) -> list[str]:
        """The top-level field names, for a sentence listing what exists."""
        return sorted(self.fields)

    def field_at(self, path: str) -> SchemaField | None:
        """The field for a dotted path like 'lines.unit_cost' or 'OpportunityLineItems.records.Quantity'."""
        fields, found = self.fields, None
        for part in [p.split("[")[0] for p in path.split(".")]:
            if part == "records" and found is not None and found.type == "list":
                continue
            found = fields.get(part)
            if found is None:
                return None
            fields = found.children
        return found

    def accepts(self, path: str) -> bool:
        first = path.split(".")[0].split("[")[0]
        if self.open_suffix and first.endswith(self.open_suffix):
            return True
        top = self.fields.get(first)
        if top is None:
            return False
        rest = path.split(".")[1:]
        return not rest or not top.children or self.field_at(path) is not None

    def flat(self, prefix: str = "", fields: dict | None = None) -> list[tuple[str, SchemaField]]:
        """(path, field) for every scalar field, the parts of a composite value (an object, money) by their dotted
        path; a list's items are left out (they are mapped by a list mapping, not one path)."""
        out = []
        for f in (self.fields if fields is None else fields).values():
            if f.children and f.type != "list":
                out.extend(self.flat(f"{prefix}{f.name}.", f.children))
            elif not f.children:
                out.append((f"{prefix}{f.name}", f))
        return out


def schema_field(name, type_="text", max_length=None, required=False, example=None, children=None,
                 **described) -> SchemaField:
    """``described``: label, picklist, createable, updateable, external_id (SchemaField)."""
    return SchemaField(name, type_, max_length, required, example, {c.name: c for c in (children or [])}, **described)


def schema_build(system, obj, fields, open_suffix="", **described) -> Schema:
    """``described``: label, described (Schema)."""
    return Schema(system, obj, {f.name: f for f in fields}, open_suffix, **described)


def schemas_known() -> dict[tuple[str, str], Schema]:
    """Every known schema by (system, object), from the provider named in settings.

    The schemas live with their systems (integrations/connectors/<system>/schemas.py); mappings
    imports nothing from integrations, so it asks for them by the dotted path in
    ``LEDGERLINK_SCHEMA_PROVIDER`` (a callable returning the schemas). The provider is asked each
    time: objects read through describe (Salesforce) are added at run time; it keeps its fixed
    schemas itself.
    """
    return {(s.system, s.object): s for s in _provider(settings.LEDGERLINK_SCHEMA_PROVIDER)()}


@functools.cache
def _provider(path: str):
    return import_string(path)


def schema_objects(system: str) -> list[str]:
    """The objects of a system that have a schema, for a sentence naming what exists."""
    return sorted(obj for (sys, obj) in schemas_known() if sys == system)


def schema_for(system: str, obj: str) -> Schema | None:
    return schemas_known().get((system, obj))


def schema_example(schema: Schema) -> dict:
    """A sample record built from the examples (for suggestions and empty previews)."""
    out = {}
    for f in schema.fields.values():
        if f.type == "list" and f.children:
            out[f.name] = [{c.name: c.example for c in f.children.values() if c.example is not None}]
        elif f.children:
            out[f.name] = {c.name: c.example for c in f.children.values() if c.example is not None}
        elif f.example is not None:
            out[f.name] = f.example
    return out

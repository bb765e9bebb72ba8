"""Build mapping sets from compact dicts in tests."""
from __future__ import annotations

from mappings.models import FieldMapping, MappingSet


def mapping_set_make(fields: list[dict], *, name="test-set", status="draft", version=1, **attrs) -> MappingSet:
    attrs = {"source_system": "salesforce", "source_object": "Opportunity", "target_system": "freshbooks",
             "target_object": "invoice", **attrs}
    ms = MappingSet.objects.create(name=name, status=status, version=version, **attrs)
    field_mappings_make(ms, fields)
    return ms


def field_mappings_make(ms: MappingSet, fields: list[dict], parent: FieldMapping | None = None) -> None:
    for order, spec in enumerate(fields):
        spec = dict(spec)
        children = spec.pop("children", None)
        fm = FieldMapping.objects.create(
            mapping_set=ms, parent=parent, order=order,
            kind=FieldMapping.Kind.LIST if children is not None else FieldMapping.Kind.FIELD, **spec,
        )
        if children:
            field_mappings_make(ms, children, fm)

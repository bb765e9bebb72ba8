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


def value_table_draft_data(table, rows: dict[str, str]) -> dict:
    """The value table admin form's POST: the draft's existing rows (by source value) set to
    ``rows``' targets, and ``rows``' other keys as new draft rows."""
    existing = {e.source_value: e.pk for e in table.draft_entries.all()}
    ordered = [k for k in rows if k in existing] + [k for k in rows if k not in existing]
    data = {"description": table.description, "draft_case_insensitive": "on", "draft_default_value": "",
            "draft_entries-TOTAL_FORMS": len(ordered), "draft_entries-INITIAL_FORMS": len(existing),
            "draft_entries-MIN_NUM_FORMS": 0, "draft_entries-MAX_NUM_FORMS": 1000}
    for i, key in enumerate(ordered):
        data.update({f"draft_entries-{i}-source_value": key, f"draft_entries-{i}-target_value": rows[key],
                     f"draft_entries-{i}-table": table.pk})
        if key in existing:
            data[f"draft_entries-{i}-id"] = existing[key]
    return data

"""The visual mapping canvas: what it shows (fields, links, samples) and the link edits it makes.

The canvas edits the same draft FieldMapping rows as the change form (top-level field mappings:
list mappings and their children stay in the change form's grid) and records each change in
MappingChange; publishing goes through the publish page and its diff, as before.
"""
from __future__ import annotations

import dataclasses

from django.db import transaction
from django.db.models import Max

from .errors import ConfigurationError
from .models import FieldMapping, MappingChange, MappingSet
from .paths import path_get
from .preview import preview_run, preview_samples, sample_record
from .schemas import Schema, SchemaField, schema_for
from .services import mapping_change_record, snapshot
from .transforms import TRANSFORMS
from .validation import node_problems

LINK_KEYS = {"id", "source_path", "target_field", "transforms", "default", "condition"}


def _field_info(path: str, f: SchemaField) -> dict:
    """A field's description for the page: every key the schema provider gives (types, lengths,
    picklists, createable… from describe), so richer schemas show up without a change here."""
    values = ({k.name: getattr(f, k.name) for k in dataclasses.fields(f)} if dataclasses.is_dataclass(f)
              else dict(vars(f)))
    values.pop("children", None)
    return {**{k: v for k, v in values.items() if _plain(v)}, "path": path}


def _plain(value) -> bool:
    """JSON as it is (text, numbers, lists and objects of them): what a page can show of a field or a value."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return isinstance(value, dict) and all(isinstance(k, str) and _plain(v) for k, v in value.items())


def _fields(schema: Schema | None) -> list[dict]:
    return [_field_info(path, f) for path, f in schema.flat()] if schema else []


def link_json(fm: FieldMapping) -> dict:
    return {"id": fm.pk, "source_path": fm.source_path, "target_field": fm.target_field, "transforms": fm.transforms or [],
            "default": fm.default, "condition": fm.condition, "label": str(fm)}


def canvas_state(*, mapping_set: MappingSet, sample_key: str = "") -> dict:
    """Everything the canvas draws: source fields with the sample's values, target fields, links, samples."""
    source = schema_for(mapping_set.source_system, mapping_set.source_object)
    target = schema_for(mapping_set.target_system, mapping_set.target_object)
    samples = preview_samples(mapping_set=mapping_set)
    record = sample_record(sample_key) if sample_key else (samples[0].record if samples else None)
    sources = _fields(source)
    for f in sources:
        value = path_get(record, f["path"]) if isinstance(record, dict) else None
        f["sample"] = value if _plain(value) else None
    links = [link_json(fm) for fm in mapping_set.field_mappings.filter(parent=None, kind=FieldMapping.Kind.FIELD)]
    mapped = {link["target_field"] for link in links} | set(
        mapping_set.field_mappings.filter(parent=None).values_list("target_field", flat=True))
    targets = _fields(target)
    for f in targets:
        f["missing"] = bool(f.get("required")) and f["path"] not in mapped
    return {
        "mapping_set": {"id": mapping_set.pk, "name": mapping_set.name, "version": mapping_set.version,
                        "status": mapping_set.status, "editable": mapping_set.is_editable,
                        "source": f"{mapping_set.source_system} {mapping_set.source_object}",
                        "target": f"{mapping_set.target_system} {mapping_set.target_object}"},
        "sources": sources, "targets": targets, "links": links,
        "samples": [{"key": s.key, "label": s.label} for s in samples],
        "sample": sample_key or (samples[0].key if samples else ""),
        "transforms": [{"name": t.name, "summary": t.summary,
                        "params": [{"name": p.name, "kind": p.kind, "required": p.required, "choices": list(p.choices),
                                    "help": p.help} for p in t.params]}
                       for t in TRANSFORMS.values()],
    }


def canvas_preview(*, mapping_set: MappingSet, sample_key: str) -> dict:
    record = sample_record(sample_key)
    if record is None:
        raise ConfigurationError("That sample record no longer exists; pick another one.")
    result = preview_run(mapping_set=mapping_set, record=record)
    return {"payload": result.payload, "errors": [{"field": e.field, "message": e.message} for e in result.errors]}


def _known(schema: Schema | None, path: str, what: str, problems: list) -> None:
    if schema is not None and path and not schema.accepts(path):
        names = ", ".join(p for p, _ in schema.flat())
        problems.append(f"{schema.system} {schema.object} has no {what} '{path}'. Its fields: {names}.")


@transaction.atomic
def _writable(schema: Schema | None, path: str, problems: list) -> None:
    """A target field the schema says is neither createable nor updateable (system fields such as CreatedDate)
    would fail every sync: refused here rather than at the first record."""
    field = schema.field_at(path) if schema is not None and path else None
    if field is not None and getattr(field, "createable", None) is False and getattr(field, "updateable", None) is False:
        problems.append(f"{schema.system} {schema.object}'s {path} is read-only (neither createable nor updateable); "
                        "link a field Ledgerlink may write.")


def canvas_link_save(*, mapping_set: MappingSet, data: dict, user=None) -> FieldMapping:
    """Create or change one top-level field mapping of a draft from the canvas (a link and its panel)."""
    if not mapping_set.is_editable:
        raise ConfigurationError(f"{mapping_set} is {mapping_set.status}; start a new draft to change its links.")
    if not isinstance(data, dict):
        raise ConfigurationError("Send the link as a JSON object with source_path and target_field.")
    unknown = sorted(set(data) - LINK_KEYS)
    if unknown:
        raise ConfigurationError(f"Unknown keys: {', '.join(unknown)} (a link has {', '.join(sorted(LINK_KEYS))}).")
    target_field, source_path = data.get("target_field"), data.get("source_path") or ""
    if not isinstance(target_field, str) or not target_field.strip() or not isinstance(source_path, str):
        raise ConfigurationError("A link needs a target_field (and a source_path, blank for a computed value) as text.")
    for name, text in (("target_field", target_field), ("source_path", source_path)):
        limit = FieldMapping._meta.get_field(name).max_length
        if len(text) > limit:
            raise ConfigurationError(f"The {name} is {len(text)} characters long; at most {limit} fit.")
    fm = None
    if data.get("id") is not None:
        fm = mapping_set.field_mappings.filter(pk=data["id"], parent=None).first() if str(data["id"]).isdigit() else None
        if fm is None:
            raise ConfigurationError(f"{mapping_set} has no link {data['id']!r}; reload the canvas.")
    problems: list[str] = []
    _known(schema_for(mapping_set.source_system, mapping_set.source_object), source_path, "source field", problems)
    target = schema_for(mapping_set.target_system, mapping_set.target_object)
    _known(target, target_field, "target field", problems)
    _writable(target, target_field, problems)
    clash = mapping_set.field_mappings.filter(parent=None, target_field=target_field)
    if fm is not None:
        clash = clash.exclude(pk=fm.pk)
    if clash.exists():
        problems.append(f"'{target_field}' is already linked; remove that link first.")
    before = snapshot(fm) if fm is not None else None
    if fm is None:
        order = (mapping_set.field_mappings.filter(parent=None).aggregate(o=Max("order"))["o"] or 0) + 1
        fm = FieldMapping(mapping_set=mapping_set, order=order, notes="Linked on the canvas.")
    fm.target_field, fm.source_path = target_field.strip(), source_path.strip()
    for key in ("transforms", "default", "condition"):
        if key in data:
            setattr(fm, key, data[key] if data[key] != "" else None)
    fm.transforms = fm.transforms or []
    problems += node_problems(fm)
    if problems:
        raise ConfigurationError(problems)
    fm.save()
    mapping_change_record(user=user, obj=fm, mapping_set=mapping_set, before=before, note="Canvas.",
                          action=MappingChange.Action.CHANGED if before is not None else MappingChange.Action.CREATED)
    return fm


@transaction.atomic
def canvas_link_delete(*, mapping_set: MappingSet, link_id, user=None) -> None:
    if not mapping_set.is_editable:
        raise ConfigurationError(f"{mapping_set} is {mapping_set.status}; start a new draft to change its links.")
    fm = mapping_set.field_mappings.filter(pk=link_id, parent=None).first() if str(link_id).isdigit() else None
    if fm is None:
        raise ConfigurationError(f"{mapping_set} has no link {link_id!r}; reload the canvas.")
    mapping_change_record(user=user, obj=fm, mapping_set=mapping_set, action=MappingChange.Action.DELETED,
                          before=snapshot(fm), note="Canvas.")
    fm.delete()

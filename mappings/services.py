"""Changes to mapping configuration: publish, new drafts, accepted suggestions, history.

Admin actions and management commands call these; every change is recorded in MappingChange.
"""
from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.forms.models import model_to_dict
from django.utils import timezone

from .errors import ConfigurationError
from .models import FieldMapping, MappingChange, MappingSet
from .validation import mapping_set_problems

SNAPSHOT_EXCLUDE = {"id", "created_at", "mapping_set", "table"}


def snapshot(obj) -> dict:
    """Comparable field values of a row (for history diffs)."""
    data = model_to_dict(obj)
    return {k: v for k, v in data.items() if k not in SNAPSHOT_EXCLUDE}


def changes_between(before: dict | None, after: dict | None) -> dict:
    before, after = before or {}, after or {}
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def mapping_change_record(*, user, obj, action: str, mapping_set: MappingSet | None = None, before: dict | None = None,
                          after: dict | None = None, note: str = "") -> MappingChange | None:
    """Record who changed what. A 'changed' with no differences is not recorded."""
    diff = changes_between(before, after if after is not None else (snapshot(obj) if action != "deleted" else None))
    if action == MappingChange.Action.CHANGED and not diff:
        return None
    return MappingChange.objects.create(
        user=user if getattr(user, "pk", None) else None, mapping_set=mapping_set, object_kind=obj._meta.verbose_name,
        object_repr=str(obj)[:300], action=action, changes=_jsonable(diff), note=note,
    )


def _jsonable(value):
    import json

    return json.loads(json.dumps(value, default=str))


@transaction.atomic
def mapping_set_publish(*, mapping_set: MappingSet, user=None, note: str = "") -> MappingSet:
    """Publish a draft: validate, retire the version in force, point the flows at this one."""
    locked = list(MappingSet.objects.select_for_update().filter(name=mapping_set.name))
    mapping_set = next(ms for ms in locked if ms.pk == mapping_set.pk)
    if mapping_set.status != MappingSet.Status.DRAFT:
        raise ConfigurationError(f"{mapping_set} is not a draft; only drafts can be published.")
    problems = mapping_set_problems(mapping_set)
    if problems:
        raise ConfigurationError(problems)
    now = timezone.now()
    for other in locked:
        if other.pk != mapping_set.pk and other.status == MappingSet.Status.PUBLISHED:
            other.status = MappingSet.Status.RETIRED
            other.save(update_fields=["status"])
            mapping_change_record(user=user, obj=other, action=MappingChange.Action.RETIRED, mapping_set=other,
                                  note=f"Replaced by version {mapping_set.version}.")
    mapping_set.status, mapping_set.published_at = MappingSet.Status.PUBLISHED, now
    mapping_set.save(update_fields=["status", "published_at"])
    Flow = apps.get_model("integrations", "Flow")
    moved = Flow.objects.filter(mapping_set__name=mapping_set.name).exclude(mapping_set=mapping_set).update(
        mapping_set=mapping_set, updated_at=now)
    mapping_change_record(user=user, obj=mapping_set, action=MappingChange.Action.PUBLISHED, mapping_set=mapping_set,
                          note=(note + f" {moved} flow(s) now use this version.").strip())
    return mapping_set


@transaction.atomic
def mapping_set_draft_create(*, mapping_set: MappingSet, user=None) -> MappingSet:
    """A new draft version copied from mapping_set (the way to change a published mapping)."""
    latest = MappingSet.objects.filter(name=mapping_set.name).aggregate(v=Max("version"))["v"] or 0
    draft = MappingSet.objects.create(
        name=mapping_set.name, source_system=mapping_set.source_system, source_object=mapping_set.source_object,
        target_system=mapping_set.target_system, target_object=mapping_set.target_object, version=latest + 1,
        status=MappingSet.Status.DRAFT, notes=mapping_set.notes,
    )
    _copy_tree(mapping_set, draft)
    mapping_change_record(user=user, obj=draft, action=MappingChange.Action.CREATED, mapping_set=draft,
                          note=f"Draft copied from version {mapping_set.version}.")
    return draft


def _copy_tree(source: MappingSet, target: MappingSet) -> None:
    new_ids: dict[int, FieldMapping] = {}
    # Copy a parent before its children (children point at the parent's copy); loop until all are placed.
    pending = list(source.field_mappings.order_by("order", "id"))
    while pending:
        waiting = []
        for fm in pending:
            if fm.parent_id and fm.parent_id not in new_ids:
                waiting.append(fm)
                continue
            old_id = fm.pk
            fm.pk, fm.id, fm.mapping_set = None, None, target
            fm.parent = new_ids.get(fm.parent_id) if fm.parent_id else None
            fm.save()
            new_ids[old_id] = fm
        if len(waiting) == len(pending):
            raise ConfigurationError("The field mappings' parents form a loop; fix them before copying.")
        pending = waiting


@transaction.atomic
def suggestion_accept(*, mapping_set: MappingSet, source_path: str, target_field: str, transforms: list,
                      parent: FieldMapping | None = None, user=None) -> FieldMapping:
    """Turn an accepted suggestion into a field mapping of a draft."""
    if not mapping_set.is_editable:
        raise ConfigurationError(f"{mapping_set} is {mapping_set.status}; create a new draft to add mappings.")
    siblings = mapping_set.field_mappings.filter(parent=parent)
    if siblings.filter(target_field=target_field).exists():
        raise ConfigurationError(f"'{target_field}' is already mapped in {mapping_set}.")
    order = (siblings.aggregate(o=Max("order"))["o"] or 0) + 1
    fm = FieldMapping.objects.create(mapping_set=mapping_set, parent=parent, target_field=target_field,
                                     source_path=source_path, transforms=transforms, order=order,
                                     notes="Accepted from a suggestion.")
    mapping_change_record(user=user, obj=fm, action=MappingChange.Action.CREATED, mapping_set=mapping_set,
                          note="Accepted suggestion.")
    return fm

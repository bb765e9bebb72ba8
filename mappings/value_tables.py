"""Value tables change like mapping sets: draft → preview → publish, with a version per publication.

The engine reads only the published rows (context.DatabaseContext reads ``ValueTable.entries``);
a draft is a copy of them (``draft_entries`` and the ``draft_*`` fields) opened when someone starts
editing, and becomes the published rows in one transaction, recorded as a ValueTableVersion
(who, when, the rows, the diff) and in MappingChange.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .errors import ConfigurationError
from .models import MappingChange, ValueTable, ValueTableDraftEntry, ValueTableEntry, ValueTableVersion

# Keys of the settings in a diff, apart from the rows (which are keyed by their source value).
DEFAULT_KEY, CASE_KEY = "(default value)", "(case insensitive)"


def table_published(table: ValueTable) -> dict:
    """The rows in force and the table's settings, as one comparable dict."""
    rows = {e.source_value: e.target_value for e in table.entries.all()}
    return {**rows, DEFAULT_KEY: table.default_value, CASE_KEY: table.case_insensitive}


def table_draft(table: ValueTable) -> dict:
    rows = {e.source_value: e.target_value for e in table.draft_entries.all()}
    return {**rows, DEFAULT_KEY: table.draft_default_value, CASE_KEY: table.draft_case_insensitive}


def table_changes(before: dict, after: dict) -> dict:
    """key: [before, after] for each row or setting that differs (None: absent)."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after), key=str)
            if before.get(k) != after.get(k)}


def value_table_draft_changes(table: ValueTable) -> dict:
    """What publishing the open draft would change (empty: no draft, or it equals the published rows)."""
    if table.draft_started_at is None:
        return {}
    return table_changes(table_published(table), table_draft(table))


@transaction.atomic
def value_table_draft_open(*, table: ValueTable) -> ValueTable:
    """Start a draft from the published rows, unless one is open (an open draft is kept as it is)."""
    table = ValueTable.objects.select_for_update().get(pk=table.pk)
    if table.draft_started_at is not None:
        return table
    table.draft_entries.all().delete()
    ValueTableDraftEntry.objects.bulk_create([
        ValueTableDraftEntry(table=table, source_value=e.source_value, target_value=e.target_value)
        for e in table.entries.all()])
    table.draft_case_insensitive, table.draft_default_value = table.case_insensitive, table.default_value
    table.draft_started_at = timezone.now()
    table.save(update_fields=["draft_case_insensitive", "draft_default_value", "draft_started_at"])
    return table


@transaction.atomic
def value_table_publish(*, table: ValueTable, user=None, note: str = "") -> ValueTableVersion:
    """Make the open draft the rows the engine reads, and record the version (who, when, diff)."""
    table = ValueTable.objects.select_for_update().get(pk=table.pk)
    changes = value_table_draft_changes(table)
    if not changes:
        raise ConfigurationError(f"Value table {table.name} has no draft changes to publish.")
    draft = {e.source_value: e.target_value for e in table.draft_entries.all()}
    table.entries.all().delete()
    ValueTableEntry.objects.bulk_create([ValueTableEntry(table=table, source_value=k, target_value=v)
                                         for k, v in sorted(draft.items())])
    table.case_insensitive, table.default_value = table.draft_case_insensitive, table.draft_default_value
    table.draft_started_at = None  # the next edit starts a new draft from these rows
    table.save(update_fields=["case_insensitive", "default_value", "draft_started_at"])
    return value_table_version_record(table=table, user=user, changes=changes, note=note,
                                      action=MappingChange.Action.PUBLISHED)


@transaction.atomic
def value_table_draft_discard(*, table: ValueTable, user=None) -> dict:
    """Throw the open draft away (the published rows stay in force; the next edit starts a new draft from
    them); the changes it held are recorded in the mapping history. Returns them."""
    table = ValueTable.objects.select_for_update().get(pk=table.pk)
    changes = value_table_draft_changes(table)
    if not changes:
        raise ConfigurationError(f"Value table {table.name} has no draft changes to discard.")
    table.draft_entries.all().delete()
    table.draft_started_at = None
    table.save(update_fields=["draft_started_at"])
    # The changes the draft held (rows keyed by source value), as a publication records its own.
    MappingChange.objects.create(user=user if getattr(user, "pk", None) else None,
                                 object_kind=table._meta.verbose_name, object_repr=str(table)[:300],
                                 action=MappingChange.Action.DELETED, changes=changes,
                                 note=f"Draft discarded: {len(changes)} change(s) never published.")
    return changes


def value_table_version_record(*, table: ValueTable, user, changes: dict, note: str = "",
                               action: str | None = MappingChange.Action.PUBLISHED) -> ValueTableVersion:
    """A version row for the rows now in force (publish, or an import that wrote them); with an
    ``action``, also a MappingChange (an import records its own)."""
    number = (table.versions.aggregate(v=Max("version"))["v"] or 0) + 1
    user = user if getattr(user, "pk", None) else None
    version = ValueTableVersion.objects.create(
        table=table, version=number, published_by=user, case_insensitive=table.case_insensitive,
        default_value=table.default_value, changes=changes, note=note,
        entries={e.source_value: e.target_value for e in table.entries.all()})
    if action is None:
        return version
    # The diff is the version's own (rows keyed by source value), not a field-by-field snapshot.
    MappingChange.objects.create(user=user, object_kind=table._meta.verbose_name, object_repr=str(table)[:300],
                                 action=action, changes=changes,
                                 note=(f"Version {number}: {len(changes)} change(s). " + note).strip())
    return version

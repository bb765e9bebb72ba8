"""Before publishing a value table's draft: which recent records would map differently.

The records are the stored source snapshots of recent sync items of the flows whose published
mapping sets read the table (preview.mapping_set_items); each is mapped twice, with the published rows
and with the draft's, and the outputs (and errors) compared field by field.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from .context import DatabaseContext, TableData
from .engine import plan_apply, plan_build
from .models import FieldMapping, MappingSet, ValueTable
from .preview import RegressionRow, Sample, mapping_set_items, payload_diff
from .transforms import transform_tables


class DraftContext(DatabaseContext):
    """The database's configuration, except one value table read from its draft."""

    def __init__(self, table: ValueTable):
        super().__init__()
        self._tables[table.name] = TableData(
            name=table.name, entries={e.source_value: e.target_value for e in table.draft_entries.all()},
            case_insensitive=table.draft_case_insensitive, default=table.draft_default_value)


def table_mapping_sets(table: ValueTable) -> list[MappingSet]:
    """The published mapping sets with a field mapping that reads the table."""
    reading = set()
    for fm in FieldMapping.objects.filter(mapping_set__status=MappingSet.Status.PUBLISHED).only(
            "mapping_set_id", "transforms"):
        if table.name in transform_tables(fm.transforms):
            reading.add(fm.mapping_set_id)
    return list(MappingSet.objects.filter(pk__in=reading).order_by("name"))


@dataclass
class TablePreview:
    table: ValueTable
    mapping_sets: list[MappingSet]
    checked: int = 0
    rows: list[RegressionRow] = field(default_factory=list)

    @property
    def changed_rows(self) -> list[RegressionRow]:
        return [r for r in self.rows if r.changed]


def value_table_preview(*, table: ValueTable, limit: int | None = None) -> TablePreview:
    """Recent records of each mapping set reading the table, mapped with the published and the draft rows."""
    limit = limit or settings.MAPPINGS_REGRESSION_SAMPLES
    preview = TablePreview(table, table_mapping_sets(table))
    published, draft = DatabaseContext(), DraftContext(table)
    for ms in preview.mapping_sets:
        plan = plan_build(ms)
        for item in mapping_set_items(ms, same_object=False)[:limit]:
            sample = Sample(f"syncitem:{item.pk}", f"Sync item #{item.pk} · {item.flow.name} · {item.source_object} "
                                                   f"{item.source_id}", item.source_snapshot)
            old, old_errors = plan_apply(plan, sample.record, context=published)
            new, new_errors = plan_apply(plan, sample.record, context=draft)
            preview.rows.append(RegressionRow(sample, payload_diff(old, new), new_errors, old_errors))
            preview.checked += 1
    return preview

"""Try a mapping on real records before publishing: preview one sample, replay many (regression).

Samples come from what Ledgerlink already holds: the source snapshots of recent SyncItems
and the payloads of recent InboundEvents (read through apps.get_model: mappings does not
import integrations), or JSON pasted by the admin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils.module_loading import import_string

from .context import DatabaseContext
from .engine import plan_apply, plan_build
from .errors import FieldError
from .models import MappingSet


@dataclass
class Sample:
    key: str  # "syncitem:<id>" or "event:<id>"
    label: str
    record: dict


def flows_mapping_with(name: str) -> list[int]:
    """Ids of the flows that map with the set of this name: as their own set, or in one of their steps (flow 1's
    primary Contact), as the flows tell (settings.LEDGERLINK_FLOW_MAPPING_SETS_PROVIDER: mappings imports no flow)."""
    Flow = apps.get_model("integrations", "Flow")
    names_of = import_string(settings.LEDGERLINK_FLOW_MAPPING_SETS_PROVIDER)
    return [flow.pk for flow in Flow.objects.select_related("mapping_set") if name in names_of(flow)]


def mapping_set_items(mapping_set: MappingSet, *, same_object: bool):
    SyncItem = apps.get_model("integrations", "SyncItem")
    match = Q(flow__mapping_set__name=mapping_set.name) | Q(flow__in=flows_mapping_with(mapping_set.name))
    if same_object:
        match |= Q(source_object=mapping_set.source_object, flow__source_connection__system=mapping_set.source_system)
    return SyncItem.objects.filter(match).exclude(source_snapshot={}).select_related("flow").order_by("-created_at", "-id")


def preview_samples(*, mapping_set: MappingSet, limit: int = 15) -> list[Sample]:
    InboundEvent = apps.get_model("integrations", "InboundEvent")
    samples = [
        Sample(f"syncitem:{i.pk}", f"Sync item #{i.pk} · {i.flow.name} · {i.source_object} {i.source_id} · {i.status}",
               i.source_snapshot)
        for i in mapping_set_items(mapping_set, same_object=True)[:limit]
    ]
    events = InboundEvent.objects.filter(
        object_type__iexact=mapping_set.source_object, connection__system=mapping_set.source_system
    ).exclude(payload={}).order_by("-received_at", "-id")[:limit]
    samples += [Sample(f"event:{e.pk}", f"Inbound event #{e.pk} · {e.event_type} {e.object_id} · {e.received_at:%Y-%m-%d %H:%M}",
                       e.payload) for e in events]
    return samples


def sample_record(key: str) -> dict | None:
    kind, _, pk = key.partition(":")
    model = {"syncitem": ("SyncItem", "source_snapshot"), "event": ("InboundEvent", "payload")}.get(kind)
    if model is None or not pk.isdigit():
        return None
    row = apps.get_model("integrations", model[0]).objects.filter(pk=int(pk)).values_list(model[1], flat=True).first()
    return row


@dataclass
class PreviewResult:
    payload: dict
    errors: list[FieldError]


def preview_run(*, mapping_set: MappingSet, record) -> PreviewResult:
    payload, errors = plan_apply(plan_build(mapping_set), record, context=DatabaseContext())
    return PreviewResult(payload, errors)


# -- regression --------------------------------------------------------------------------
@dataclass
class RegressionRow:
    sample: Sample
    changes: list[tuple[str, object, object]]  # (field, published value, draft value)
    draft_errors: list[FieldError]
    published_errors: list[FieldError]

    @property
    def changed(self) -> bool:
        return bool(self.changes) or [str(e) for e in self.draft_errors] != [str(e) for e in self.published_errors]


@dataclass
class RegressionReport:
    draft: MappingSet
    published: MappingSet | None
    rows: list[RegressionRow] = field(default_factory=list)

    @property
    def changed_rows(self) -> list[RegressionRow]:
        return [r for r in self.rows if r.changed]

    @property
    def outputs_change(self) -> bool:
        return bool(self.changed_rows)


def payload_flatten(value, prefix: str = "") -> dict:
    """{'lines': [{'qty': '1'}]} → {'lines[0].qty': '1'} (leaves only, for field-level diffs)."""
    if isinstance(value, dict) and value:
        out = {}
        for k, v in value.items():
            out.update(payload_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(payload_flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value} if prefix else {}


def payload_diff(before: dict, after: dict) -> list[tuple[str, object, object]]:
    a, b = payload_flatten(before), payload_flatten(after)
    missing = "—"
    return [(k, a.get(k, missing), b.get(k, missing)) for k in sorted(set(a) | set(b)) if a.get(k, missing) != b.get(k, missing)]


def regression_check(*, draft: MappingSet, limit: int | None = None) -> RegressionReport:
    """Replay the last N source snapshots of the flows using this mapping through the draft and the published version."""
    limit = limit or settings.MAPPINGS_REGRESSION_SAMPLES
    published = MappingSet.objects.filter(name=draft.name, status=MappingSet.Status.PUBLISHED).exclude(pk=draft.pk).first()
    report = RegressionReport(draft, published)
    draft_plan = plan_build(draft)
    published_plan = plan_build(published) if published else None
    context = DatabaseContext()
    for item in mapping_set_items(draft, same_object=False)[:limit]:
        sample = Sample(f"syncitem:{item.pk}", f"Sync item #{item.pk} · {item.source_object} {item.source_id}",
                        item.source_snapshot)
        new, new_errors = plan_apply(draft_plan, sample.record, context=context)
        old, old_errors = plan_apply(published_plan, sample.record, context=context) if published_plan else ({}, [])
        report.rows.append(RegressionRow(sample, payload_diff(old, new), new_errors, old_errors))
    return report

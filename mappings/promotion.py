"""Configuration promotion (Dev → QA → Prod): export to a stable, diff-friendly JSON file; import it
with a dry-run diff; apply in one transaction. Never carries secrets (connections are referred to
by name; flow settings that are or carry a secret are held back and named: promotion_secrets).

File: {"format": "ledgerlink-config", "format_version": 1, "value_tables": [...],
"currency_rates": [...], "mapping_sets": [...], "flows": [...]}, keys sorted, lists in natural-key order.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string
from django.db import transaction
from django.utils.dateparse import parse_datetime

from .errors import ConfigurationError
from .models import ConfigImport, CurrencyRate, FieldMapping, MappingChange, MappingSet, ValueTable, ValueTableEntry
from .promotion_io import (FLOW_FIELDS, MAPPING_FIELDS, SET_FIELDS, config_check, flow_export, mapping_set_export,
                           rate_export, rate_key, table_export)
from .promotion_secrets import settings_restore
from .services import mapping_change_record
from .value_tables import table_changes, table_published, value_table_version_record

FORMAT, FORMAT_VERSION = "ledgerlink-config", 1


def config_dumps(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def config_loads(text: str, *, source_name: str = "the file") -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{source_name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigurationError(f"{source_name} is not a Ledgerlink configuration export (no \"format\": \"{FORMAT}\").")
    if data.get("format_version") != FORMAT_VERSION:
        raise ConfigurationError(f"{source_name} has format_version {data.get('format_version')!r}; "
                                 f"this Ledgerlink reads version {FORMAT_VERSION}.")
    return data


# -- export ------------------------------------------------------------------------------
def config_export(*, flows: list[str] | None = None, held_back: list[str] | None = None) -> dict:
    """The configuration file's content. Each flow setting held back as secret is appended to
    ``held_back`` as a sentence naming the flow and the setting (never the value)."""
    Flow = apps.get_model("integrations", "Flow")
    flow_rows = Flow.objects.select_related("source_connection", "target_connection", "mapping_set").order_by("name")
    if flows:
        flow_rows = flow_rows.filter(name__in=flows)
        unknown = sorted(set(flows) - set(flow_rows.values_list("name", flat=True)))
        if unknown:
            raise ConfigurationError(f"No flow named {', '.join(unknown)}.")
    sets = MappingSet.objects.order_by("name", "version")
    if flows:
        set_names = import_string(settings.LEDGERLINK_FLOW_MAPPING_SETS_PROVIDER)
        sets = sets.filter(name__in={name for f in flow_rows for name in set_names(f)})
    set_data = [mapping_set_export(ms) for ms in sets]
    tables = ValueTable.objects.order_by("name").prefetch_related("entries")
    if flows:
        tables = tables.filter(name__in=_tables_used(set_data))
    flow_data = []
    for flow in flow_rows:
        dropped: list[str] = []
        flow_data.append(flow_export(flow, dropped=dropped))
        if held_back is not None:
            held_back += [f"Flow {flow.name!r}: setting {path!r} not exported (it is or carries a secret; "
                          f"an import keeps the target's own value)." for path in dropped]
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "flows": flow_data,
        "mapping_sets": set_data,
        "value_tables": [table_export(t) for t in tables],
        "currency_rates": [rate_export(r) for r in CurrencyRate.objects.order_by("from_currency", "to_currency", "date", "source")],
    }


def _tables_used(set_data: list[dict]) -> set[str]:
    from .transforms import transform_tables

    def walk(mappings):
        for m in mappings:
            yield from transform_tables(m.get("transforms"))
            yield from walk(m.get("children", []))

    return {t for s in set_data for t in walk(s["field_mappings"])}


# -- diff --------------------------------------------------------------------------------
def _current(kind: str, item: dict):
    Flow = apps.get_model("integrations", "Flow")
    if kind == "value_tables":
        row = ValueTable.objects.filter(name=item["name"]).first()
        return row and table_export(row)
    if kind == "currency_rates":
        row = CurrencyRate.objects.filter(**rate_key(item)).first()
        return row and rate_export(row)
    if kind == "mapping_sets":
        row = MappingSet.objects.filter(name=item["name"], version=item["version"]).first()
        return row and mapping_set_export(row)
    row = Flow.objects.filter(name=item["name"]).first()
    return row and flow_export(row)


def _label(kind: str, item: dict) -> str:
    if kind == "currency_rates":
        return f"currency rate {item['from']}→{item['to']} {item['date']} ({item['source']})"
    if kind == "mapping_sets":
        return f"mapping set {item['name']} v{item['version']}"
    return f"{kind[:-1].replace('_', ' ')} {item['name']}"


def _flatten(value, prefix=""):
    from .preview import payload_flatten

    return payload_flatten(value, prefix)


@dataclass
class Change:
    kind: str
    item: dict
    label: str
    lines: list[str]
    new: bool


def config_changes(data: dict, *, only_missing: bool = False) -> list[Change]:
    changes = []
    for kind in ("value_tables", "currency_rates", "mapping_sets", "flows"):
        for item in data.get(kind, []):
            current = _current(kind, item)
            label = _label(kind, item)
            if current is None:
                changes.append(Change(kind, item, label, [f"+ {label}"], True))
                continue
            if only_missing:
                continue
            before, after = _flatten(current), _flatten(item)
            lines = [f"~ {label}: {k}: {json.dumps(before.get(k, None))} → {json.dumps(after.get(k, None))}"
                     for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
            if lines:
                changes.append(Change(kind, item, label, lines, False))
    return changes


# -- import ------------------------------------------------------------------------------
@dataclass
class ImportResult:
    diff: list[str]
    applied: bool
    record: ConfigImport | None = None
    #: flows the file enables that stayed disabled: a sentence each, naming the failing checks
    refused: list[str] = field(default_factory=list)


def config_import(*, data: dict, dry_run: bool, source_name: str = "", user=None, only_missing: bool = False,
                  override_reason: str = "") -> ImportResult:
    """Check everything first; then (unless dry_run) apply it all in one transaction, or nothing.

    A flow the file enables that is not enabled here is imported disabled, then enabled by the
    flows' own rule (LEDGERLINK_FLOW_ENABLER: refused while a blocking pre-flight check fails, unless
    ``user`` may override and ``override_reason`` says why); the ones refused stay disabled, named."""
    problems = config_check(data)
    if problems:
        raise ConfigurationError(problems)
    changes = config_changes(data, only_missing=only_missing)
    diff = [line for c in changes for line in c.lines] or ["No changes."]
    if dry_run:
        return ImportResult(diff, applied=False)
    Flow = apps.get_model("integrations", "Flow")
    enabled_here = set(Flow.objects.filter(enabled=True).values_list("name", flat=True))
    to_enable = [c.item["name"] for c in changes
                 if c.kind == "flows" and c.item.get("enabled", True) and c.item["name"] not in enabled_here]
    with transaction.atomic():
        for change in changes:
            item = change.item
            if change.kind == "flows" and item["name"] in to_enable:
                item = {**item, "enabled": False}  # enabled below, once its checks can run
            APPLY[change.kind](item)
            mapping_change_record(user=user, obj=_row_for(change), action=MappingChange.Action.IMPORTED,
                                  mapping_set=_row_for(change) if change.kind == "mapping_sets" else None,
                                  after={}, note="\n".join(change.lines)[:5000])
        _one_published_per_name(data)
        record = ConfigImport.objects.create(
            source_name=source_name[:300], checksum=hashlib.sha256(config_dumps(data).encode()).hexdigest(),
            format_version=FORMAT_VERSION, summary="\n".join(diff))
    # After the commit: the checks call the systems, which must not wait on this transaction.
    refused = import_string(settings.LEDGERLINK_FLOW_ENABLER)(
        names=to_enable, user=user, override_reason=override_reason) if to_enable else []
    return ImportResult(diff, applied=True, record=record, refused=refused)


def _row_for(change: Change):
    item = change.item
    if change.kind == "value_tables":
        return ValueTable.objects.get(name=item["name"])
    if change.kind == "currency_rates":
        return CurrencyRate.objects.get(**rate_key(item))
    if change.kind == "mapping_sets":
        return MappingSet.objects.get(name=item["name"], version=item["version"])
    return apps.get_model("integrations", "Flow").objects.get(name=item["name"])


def _apply_table(item):
    existing = ValueTable.objects.filter(name=item["name"]).first()
    before = table_published(existing) if existing else {}
    # The imported rows are published at once (the file is the reviewed configuration); an open draft is dropped.
    table, _ = ValueTable.objects.update_or_create(name=item["name"], defaults={
        "description": item.get("description", ""), "case_insensitive": item.get("case_insensitive", True),
        "default_value": item.get("default_value"), "draft_started_at": None})
    table.entries.all().delete()
    ValueTableEntry.objects.bulk_create([ValueTableEntry(table=table, source_value=k, target_value=v)
                                         for k, v in sorted(item.get("entries", {}).items())])
    value_table_version_record(table=table, user=None, changes=table_changes(before, table_published(table)),
                               note="Imported with import_config.", action=None)


def _apply_rate(item):
    CurrencyRate.objects.update_or_create(**rate_key(item), defaults={"rate": item["rate"]})


def _apply_set(item):
    ms, _ = MappingSet.objects.update_or_create(name=item["name"], version=item["version"],
                                                defaults={k: item.get(k) or "" for k in SET_FIELDS if k != "published_at"}
                                                | {"published_at": parse_datetime(item.get("published_at") or "")})
    ms.field_mappings.all().delete()
    _create_mappings(ms, item.get("field_mappings", []), None)


def _create_mappings(ms, mappings, parent):
    for m in mappings:
        fm = FieldMapping.objects.create(mapping_set=ms, parent=parent, **{k: m[k] for k in MAPPING_FIELDS if k in m})
        _create_mappings(ms, m.get("children", []), fm)


def _apply_flow(item):
    Flow = apps.get_model("integrations", "Flow")
    Connection = apps.get_model("integrations", "Connection")
    ref = item.get("mapping_set")
    values = {k: item[k] for k in FLOW_FIELDS if k in item}
    values["source_connection"] = Connection.objects.get(name=item["source_connection"])
    values["target_connection"] = Connection.objects.get(name=item["target_connection"]) if item.get("target_connection") else None
    values["mapping_set"] = MappingSet.objects.get(name=ref["name"], version=ref["version"]) if ref else None
    existing = Flow.objects.filter(name=item["name"]).first()
    if existing:  # keep settings the file cannot carry (held back as secret on export)
        values["settings"] = settings_restore(values.get("settings") or {}, existing=existing.settings or {})
    Flow.objects.update_or_create(name=item["name"], defaults=values)


APPLY = {"value_tables": _apply_table, "currency_rates": _apply_rate, "mapping_sets": _apply_set, "flows": _apply_flow}


def _one_published_per_name(data: dict) -> None:
    """A version published in the file retires any other published version of that name here."""
    Flow = apps.get_model("integrations", "Flow")
    for item in data.get("mapping_sets", []):
        if item.get("status") != MappingSet.Status.PUBLISHED:
            continue
        current = MappingSet.objects.get(name=item["name"], version=item["version"])
        if current.status != MappingSet.Status.PUBLISHED:
            continue
        MappingSet.objects.filter(name=item["name"], status=MappingSet.Status.PUBLISHED).exclude(pk=current.pk).update(
            status=MappingSet.Status.RETIRED)
        in_file = {f["name"] for f in data.get("flows", [])}
        Flow.objects.filter(mapping_set__name=item["name"]).exclude(name__in=in_file).update(mapping_set=current)

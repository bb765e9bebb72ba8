"""The configuration file's shape: one exporter per object, and the checks an import must pass
before it may change anything."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

from .models import FieldMapping, MappingSet, ValueTable
from .promotion_secrets import settings_split
from .validation import nodes_problems

SET_FIELDS = ("source_system", "source_object", "target_system", "target_object", "status", "notes", "published_at")
MAPPING_FIELDS = ("order", "kind", "target_field", "label", "item_label", "source_path", "transforms", "default",
                  "required", "max_length", "on_too_long", "condition", "notes")
FLOW_FIELDS = ("title", "kind", "source_object", "target_object", "trigger", "poll_interval_minutes", "conflict_policy",
               "settings", "max_attempts", "enabled")


def table_export(table: ValueTable) -> dict:
    return {"name": table.name, "description": table.description, "case_insensitive": table.case_insensitive,
            "default_value": table.default_value,
            "entries": {e.source_value: e.target_value for e in table.entries.all()}}


def rate_export(rate) -> dict:
    return {"from": rate.from_currency, "to": rate.to_currency, "date": rate.date.isoformat(),
            "rate": format(Decimal(rate.rate).normalize(), "f"), "source": rate.source}


def rate_key(item: dict) -> dict:
    return {"from_currency": item["from"], "to_currency": item["to"], "date": item["date"], "source": item["source"]}


def _mapping_export(fm: FieldMapping, children: dict) -> dict:
    data = {k: getattr(fm, k) for k in MAPPING_FIELDS}
    kids = children.get(fm.pk, [])
    if kids:
        data["children"] = [_mapping_export(c, children) for c in kids]
    return data


def mapping_set_export(ms: MappingSet) -> dict:
    rows = list(ms.field_mappings.order_by("order", "id"))
    children: dict = {}
    for fm in rows:
        children.setdefault(fm.parent_id, []).append(fm)
    data = {"name": ms.name, "version": ms.version, **{k: getattr(ms, k) for k in SET_FIELDS}}
    data["published_at"] = ms.published_at.isoformat() if ms.published_at else None
    data["field_mappings"] = [_mapping_export(fm, children) for fm in children.get(None, [])]
    return data


def flow_export(flow, *, dropped: list[str] | None = None) -> dict:
    """The flow as the file carries it; the paths of the settings held back (promotion_secrets)
    are appended to ``dropped``, never their values."""
    data = {"name": flow.name, **{k: getattr(flow, k) for k in FLOW_FIELDS}}
    data["settings"], held_back = settings_split(flow.settings or {})
    if dropped is not None:
        dropped += held_back
    data["source_connection"] = flow.source_connection.name
    data["target_connection"] = flow.target_connection.name if flow.target_connection_id else None
    data["mapping_set"] = {"name": flow.mapping_set.name, "version": flow.mapping_set.version} if flow.mapping_set_id else None
    return data


# -- checks ------------------------------------------------------------------------------
def _nodes(mappings: list, where: str, problems: list):
    from .engine import Node

    nodes = []
    for i, m in enumerate(mappings):
        if not isinstance(m, dict) or not isinstance(m.get("target_field"), str):
            problems.append(f"{where} field mapping {i + 1}: needs a \"target_field\".")
            continue
        unknown = set(m) - set(MAPPING_FIELDS) - {"children"}
        if unknown:
            problems.append(f"{where} {m['target_field']}: unknown keys {', '.join(sorted(unknown))}.")
        node = Node(None, m.get("kind", "field"), m["target_field"], m.get("source_path") or "", m.get("transforms") or [],
                    max_length=m.get("max_length"), condition=m.get("condition"))
        node.children = _nodes(m.get("children") or [], where, problems)
        nodes.append(node)
    return nodes


def _check_set(item: dict, problems: list, tables_needed: set) -> None:
    where = f"Mapping set {item.get('name')!r} v{item.get('version')}:"
    if not isinstance(item.get("name"), str) or not isinstance(item.get("version"), int) or item["version"] < 1:
        problems.append(f"{where} needs a name and a version number ≥ 1.")
        return
    if item.get("status") not in MappingSet.Status.values:
        problems.append(f"{where} status must be one of {', '.join(MappingSet.Status.values)}.")
    for key in ("source_system", "source_object", "target_system", "target_object"):
        if not isinstance(item.get(key), str) or not item[key]:
            problems.append(f"{where} needs {key}.")
    if not isinstance(item.get("field_mappings", []), list):
        problems.append(f"{where} field_mappings must be a list.")
        return
    nodes = _nodes(item.get("field_mappings", []), where, problems)
    found, tables = nodes_problems(nodes, target_system=item.get("target_system", ""),
                                   target_object=item.get("target_object", ""))
    problems += [f"{where} {p}" for p in found]
    tables_needed |= tables


def _check_rate(item: dict, problems: list) -> None:
    where = f"Currency rate {item.get('from')}→{item.get('to')} {item.get('date')}:"
    try:
        ok = (all(isinstance(item.get(k), str) and len(item[k]) == 3 for k in ("from", "to"))
              and bool(date.fromisoformat(item["date"])) and Decimal(str(item["rate"])) > 0
              and isinstance(item.get("source"), str))
    except (KeyError, ValueError, TypeError, InvalidOperation):
        ok = False
    if not ok:
        problems.append(f"{where} needs from/to (3-letter codes), date (YYYY-MM-DD), a positive rate and a source.")


def _check_table(item: dict, problems: list) -> None:
    entries = item.get("entries")
    if not isinstance(item.get("name"), str) or not isinstance(entries, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
        problems.append(f"Value table {item.get('name')!r}: needs a name and entries as text → text.")


def _check_flow(item: dict, problems: list, sets_in_file: set) -> None:
    Flow = apps.get_model("integrations", "Flow")
    Connection = apps.get_model("integrations", "Connection")
    where = f"Flow {item.get('name')!r}:"
    for key in ("name", "kind", "source_connection", "source_object"):
        if not isinstance(item.get(key), str) or not item[key]:
            problems.append(f"{where} needs {key}.")
    for key in ("source_connection", "target_connection"):
        name = item.get(key)
        if isinstance(name, str) and name and not Connection.objects.filter(name=name).exists():
            problems.append(f"{where} needs the connection {name!r}, which does not exist here: create it "
                            f"(and connect it) first; connections and their secrets are never exported.")
    for key in ("trigger", "conflict_policy"):
        choices = [c for c, _ in Flow._meta.get_field(key).choices]
        if key in item and item[key] not in choices:
            problems.append(f"{where} {key} must be one of {', '.join(choices)}.")
    if isinstance(item.get("kind"), str) and item["kind"]:
        # The kind and its settings are the flows' to judge: asked through a setting, as
        # mappings imports nothing from integrations.
        flow_config_errors = import_string(settings.LEDGERLINK_FLOW_CONFIG_VALIDATOR)
        problems += [f"{where} {sentence}" for sentence in
                     flow_config_errors(kind=item["kind"], settings=item.get("settings") or {}, flow=item)]
    ref = item.get("mapping_set")
    if ref is not None:
        key = (ref.get("name"), ref.get("version")) if isinstance(ref, dict) else None
        if key is None or (key not in sets_in_file and not MappingSet.objects.filter(name=key[0], version=key[1]).exists()):
            problems.append(f"{where} uses mapping set {ref!r}, which is neither in the file nor here.")


def config_connections_rename(data: dict, renames: dict[str, str]) -> dict:
    """The file with its flows' connection names changed (``{name in the file: name here}``): each
    environment names its own connections, and they are never exported with the flows. A malformed
    file is returned as it is, for config_check to name what is wrong."""
    flows = data.get("flows", [])
    if not renames or not isinstance(flows, list):
        return data

    def renamed(flow):
        if not isinstance(flow, dict):
            return flow
        names = {key: renames.get(flow[key], flow[key]) for key in ("source_connection", "target_connection")
                 if isinstance(flow.get(key), str)}
        return {**flow, **names}

    return {**data, "flows": [renamed(flow) for flow in flows]}


def config_check(data: dict) -> list[str]:
    """Every problem with an import, in words; empty means it can be applied."""
    problems: list[str] = []
    sections = {"value_tables": _check_table, "currency_rates": _check_rate}
    for key in ("value_tables", "currency_rates", "mapping_sets", "flows"):
        if not isinstance(data.get(key, []), list) or not all(isinstance(i, dict) for i in data.get(key, [])):
            problems.append(f"\"{key}\" must be a list of objects.")
    if problems:
        return problems
    for key, check in sections.items():
        for item in data.get(key, []):
            check(item, problems)
    tables_needed: set = set()
    for item in data.get("mapping_sets", []):
        _check_set(item, problems, tables_needed)
    sets_in_file = {(s.get("name"), s.get("version")) for s in data.get("mapping_sets", [])}
    published = [s.get("name") for s in data.get("mapping_sets", []) if s.get("status") == "published"]
    problems += [f"Mapping set {n!r} has more than one published version in the file."
                 for n in sorted({n for n in published if published.count(n) > 1})]
    for item in data.get("flows", []):
        _check_flow(item, problems, sets_in_file)
    tables_in_file = {t.get("name") for t in data.get("value_tables", [])}
    missing = tables_needed - tables_in_file - set(ValueTable.objects.filter(name__in=tables_needed).values_list("name", flat=True))
    problems += [f"Value table {t!r} is used by a mapping but is neither in the file nor here." for t in sorted(missing)]
    for key, natural in (("value_tables", "name"), ("flows", "name")):
        names = [i.get(natural) for i in data.get(key, [])]
        problems += [f"{key}: {n!r} appears more than once." for n in sorted({n for n in names if names.count(n) > 1})]
    return problems

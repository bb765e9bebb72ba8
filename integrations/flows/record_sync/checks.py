"""What a record-sync flow names must exist: its source and target objects, and every field its
settings name (filter, match rules, marker, links, write-back), as the mapping schemas know them.
Asked when the flow is saved in the admin and when a configuration is imported
(flows/registry.py flow_objects_problems); each refusal names what exists."""
from __future__ import annotations

from integrations.connectors.objects import fields_unknown
from integrations.connectors.registry import record_access_for
from mappings.schemas import schema_for, schema_objects


def object_schema(connection, name: str, problems: list[str]):
    """The object's schema as the mapping schemas know it (shipped, or described: manage.py
    describe_objects); None (with the problem noted) when there is none."""
    system = connection.system
    access = record_access_for(system)
    if access is None:
        problems.append(f"{system} offers no generic object access; a record-sync flow cannot use it.")
        return None
    schema = schema_for(system, name)
    if schema is None:
        hint = (" An object added to the system since is known once described: Connections → select the connection "
                "→ Describe objects (or manage.py describe_objects).") if access.describes else ""
        problems.append(f"{system} has no object '{name}'. Known: {', '.join(schema_objects(system)) or 'none'}.{hint}")
    return schema


def record_sync_problems(*, source_connection, source_object: str, target_connection, target_object: str,
                         settings: dict) -> list[str]:
    problems: list[str] = []
    if target_connection is None or not target_object:
        return ["A record-sync flow needs a target connection and a target object."]
    source = object_schema(source_connection, source_object, problems)
    target = object_schema(target_connection, target_object, problems)
    settings = settings or {}
    if source is not None:
        named = set(condition_fields(settings.get("filter")))
        named |= {str(link.get("from", "")).split(".")[0] for link in (settings.get("links") or {}).values()
                  if isinstance(link, dict)}
        named.add((settings.get("write_back") or {}).get("field", ""))
        problems += fields_unknown(source, sorted(n for n in named if n))
    if target is not None:
        named = {settings.get("marker_field") or ""} | set(settings.get("links") or {})
        for rule in settings.get("match") or []:
            named |= set(rule_fields(rule))
        value = (settings.get("write_back") or {}).get("value", "id")
        if value and value != "id":
            named.add(value)
        problems += fields_unknown(target, sorted(n for n in named if n))
    return problems


def rule_fields(rule) -> list[str]:
    """A match rule's fields (one external-id field, or several compared together)."""
    return [rule] if isinstance(rule, str) else [str(f) for f in rule]


def condition_fields(condition) -> set[str]:
    """The top-level source fields a filter condition reads."""
    if not isinstance(condition, dict):
        return set()
    for combinator in ("all", "any"):
        if isinstance(condition.get(combinator), list):
            return set().union(*(condition_fields(c) for c in condition[combinator]))
    if "not" in condition:
        return condition_fields(condition["not"])
    return {str(condition["field"]).split(".")[0]} if "field" in condition else set()

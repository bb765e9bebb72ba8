"""Find records by any business key from one box: an invoice or order number, a customer's name or
e-mail, a SKU, a vendor, any system's id.

Looks in what Ledgerlink keeps of each record: bindings (every system's id, their extras such as the
invoice number, what we last wrote), entity labels, and sync items (source and target ids, the source
snapshot and the mapped payload — so a record that failed before it was ever bound is found too).
Results are grouped: *records* (an entity, with its bindings, to open its timeline) and *sync items*
that belong to no entity yet. A JSON column is matched as text by the database, then each candidate is
checked in Python so that only a value matches, never a key ("amount" does not find every expense).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from integrations.models import Binding, Entity, SyncItem

QUERY_MIN, QUERY_MAX = 2, 200
CANDIDATES = 500  # rows of each table read per search; the newest first
JSON_FIELDS_BINDING = ("extra", "last_written_payload")
JSON_FIELDS_ITEM = ("source_snapshot", "mapped_payload")


class SearchQueryInvalid(ValueError):
    pass


@dataclass
class RecordHit:
    entity: Entity
    matched: str  # where the query was found: "vendor: Hotel Adlon"
    bindings: list[Binding] = field(default_factory=list)


@dataclass
class ItemHit:
    item: SyncItem
    matched: str


@dataclass
class SearchResults:
    query: str
    records: list[RecordHit] = field(default_factory=list)
    items: list[ItemHit] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.records) + len(self.items)


def _value_match(data, needle: str, path: str = "") -> str:
    """"path: value" of the first value (not key) in ``data`` containing ``needle`` (casefolded), or ""."""
    if isinstance(data, dict):
        for key, value in data.items():
            found = _value_match(value, needle, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(data, list):
        for value in data:
            found = _value_match(value, needle, path)
            if found:
                return found
    elif data is not None and not isinstance(data, bool) and needle in str(data).casefold():
        return f"{path}: {data}" if path else str(data)
    return ""


def _json_contains(fields, query: str) -> Q:
    """The JSON columns' text contains the query: as typed, and as JSON escapes non-ASCII (SQLite keeps
    "Müller" as "M\\u00fcller"; PostgreSQL's jsonb text keeps it as typed)."""
    variants = {query, json.dumps(query)[1:-1]}
    condition = Q()
    for name in fields:
        for text in variants:
            condition |= Q(**{f"_text_{name}__icontains": text})
    return condition


def _annotated(queryset, fields):
    return queryset.annotate(**{f"_text_{name}": Cast(name, output_field=TextField()) for name in fields})


def _binding_matches(query: str, needle: str) -> dict[int, str]:
    """{entity id: what matched} over bindings and entity labels."""
    found: dict[int, str] = {}
    by_label = Entity.objects.filter(label__icontains=query).order_by("-pk")[:CANDIDATES]
    for entity in by_label:
        found.setdefault(entity.pk, f"name: {entity.label}")
    bindings = (_annotated(Binding.objects.select_related("connection"), JSON_FIELDS_BINDING)
                .filter(Q(external_id__icontains=query) | _json_contains(JSON_FIELDS_BINDING, query))
                .order_by("-updated_at")[:CANDIDATES])
    for binding in bindings:
        if needle in binding.external_id.casefold():
            matched = f"{binding.connection.get_system_display()} {binding.object_type} id {binding.external_id}"
        else:
            matched = _value_match(binding.extra, needle) or _value_match(binding.last_written_payload, needle)
        if matched:
            found.setdefault(binding.entity_id, matched)
    return found


def _item_matches(query: str, needle: str) -> list[tuple[SyncItem, str]]:
    items = (_annotated(SyncItem.objects.select_related("flow"), JSON_FIELDS_ITEM)
             .filter(Q(source_id__icontains=query) | Q(target_external_id__icontains=query)
                     | _json_contains(JSON_FIELDS_ITEM, query))
             .order_by("-created_at")[:CANDIDATES])
    matches = []
    for item in items:
        if needle in item.source_id.casefold():
            matched = f"{item.source_object} id {item.source_id}"
        elif needle in item.target_external_id.casefold():
            matched = f"{item.flow.target_object} id {item.target_external_id}"
        else:
            matched = _value_match(item.source_snapshot, needle) or _value_match(item.mapped_payload, needle)
        if matched:
            matches.append((item, matched))
    return matches


def records_search(query: str, *, limit: int = 50) -> SearchResults:
    """Records and unbound sync items whose keys or stored fields contain ``query`` (case-insensitive)."""
    query = (query or "").strip()
    if len(query) > QUERY_MAX:
        raise SearchQueryInvalid(f"Search for at most {QUERY_MAX} characters.")
    results = SearchResults(query=query)
    if len(query) < QUERY_MIN:
        return results
    needle = query.casefold()
    entity_matches = _binding_matches(query, needle)
    loose: dict[tuple, ItemHit] = {}
    for item, matched in _item_matches(query, needle):
        if item.entity_id:
            entity_matches.setdefault(item.entity_id, matched)
        else:  # the newest item of each record and flow stands for it
            loose.setdefault((item.flow_id, item.source_object, item.source_id), ItemHit(item, matched))
    entities = Entity.objects.filter(pk__in=list(entity_matches)).order_by("-pk")[:limit]
    bindings: dict[int, list[Binding]] = {}
    for binding in Binding.objects.filter(entity__in=entities).select_related("connection").order_by("pk"):
        bindings.setdefault(binding.entity_id, []).append(binding)
    results.records = [RecordHit(entity, entity_matches[entity.pk], bindings.get(entity.pk, [])) for entity in entities]
    results.items = list(loose.values())[:limit]
    return results

"""sObject Tree: create nested parent-child records in one all-or-nothing call (reference
§2.5; REST guide "sObject Tree" and "sObject Tree Response Body").

Up to 200 records across all trees, up to five types, up to five levels. Every record names
its type and a referenceId in ``attributes``; children sit under the child relationship name
as ``{"records": [...]}`` and get their parent's id. Records are created level by level (all
roots, then all second-level records, …), which is the order the results list them in. On
the first failure everything is rolled back and the answer is 400 with only the failing
record's referenceId and errors."""
from __future__ import annotations

from django.db import transaction

from ..errors import SfApiError
from ..writes import record_create, sobject_require
from .call import Call, Reply, require_object

MAX_RECORDS, MAX_TYPES, MAX_DEPTH = 200, 5, 5


class _Failed(Exception):
    def __init__(self, reference: str, error: SfApiError):
        super().__init__(error.message)
        self.reference, self.error = reference, error


def _nodes(obj, records, depth: int, parent: tuple[str, int] | None, out: list) -> None:
    """Flatten the trees into (depth, object, referenceId, fields, parent field, parent index)."""
    if not isinstance(records, list) or not records:
        raise SfApiError(400, "JSON_PARSER_ERROR", "records must be a non-empty list")
    if depth > MAX_DEPTH:
        raise SfApiError(400, "INVALID_INPUT", f"sObject trees can be at most {MAX_DEPTH} levels deep")
    for record in records:
        record = require_object(record, "record")
        attributes = record.get("attributes")
        if not isinstance(attributes, dict) or not attributes.get("referenceId") or not attributes.get("type"):
            raise SfApiError(400, "INVALID_INPUT", "Each record needs attributes with type and referenceId")
        if attributes["type"].lower() != obj.name.lower():
            raise SfApiError(400, "INVALID_INPUT", f"Record type {attributes['type']} does not match {obj.name}")
        fields, children = {}, []
        for key, value in record.items():
            relationship = obj.child(key) if key != "attributes" else None
            if relationship is not None and isinstance(value, dict):
                children.append((relationship, value.get("records")))
            elif key != "attributes":
                fields[key] = value
        index = len(out)
        out.append((depth, obj, str(attributes["referenceId"]), fields, parent))
        for relationship, child_records in children:
            _nodes(sobject_require(relationship.child), child_records, depth + 1, (relationship.field, index), out)


def _check(nodes: list) -> None:
    if len(nodes) > MAX_RECORDS:
        raise SfApiError(400, "INVALID_INPUT", f"A tree request can create up to {MAX_RECORDS} records")
    if len({obj.name for _, obj, *_ in nodes}) > MAX_TYPES:
        raise SfApiError(400, "INVALID_INPUT", f"A tree request can create records of up to {MAX_TYPES} types")


def run(call: Call, sobject: str) -> Reply:
    body = require_object(call.json())
    nodes: list = []
    _nodes(sobject_require(sobject), body.get("records"), 1, None, nodes)
    _check(nodes)
    references = [node[2] for node in nodes]
    duplicates = {ref for ref in references if references.count(ref) > 1}
    if duplicates:
        return Reply(400, {"hasErrors": True, "results": [
            {"referenceId": ref, "errors": [{"statusCode": "INVALID_INPUT", "message": f"Duplicate ReferenceId "
                                             f"provided in the request: {ref}", "fields": []}]}
            for ref in references if ref in duplicates]})
    ids: dict[int, str] = {}
    try:
        with transaction.atomic():
            for index in sorted(range(len(nodes)), key=lambda i: nodes[i][0]):  # level by level, stable
                _, obj, reference, fields, parent = nodes[index]
                if parent is not None:
                    fields = {**fields, parent[0]: ids[parent[1]]}
                try:
                    ids[index] = record_create(obj.name, fields)
                except SfApiError as exc:
                    raise _Failed(reference, exc) from None
    except _Failed as failed:
        return Reply(400, {"hasErrors": True, "results": [
            {"referenceId": failed.reference, "errors": [failed.error.record_error()]}]})
    order = sorted(ids, key=lambda i: nodes[i][0])
    return Reply(201, {"hasErrors": False, "results": [{"referenceId": nodes[i][2], "id": ids[i]} for i in order]})

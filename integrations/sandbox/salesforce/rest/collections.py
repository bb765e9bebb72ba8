"""sObject Collections: up to 200 records per call, results in request order, per-record
errors with ``statusCode``; allOrNone rolls everything back (ALL_OR_NONE_OPERATION_ROLLED_BACK)."""
from __future__ import annotations

from django.db import transaction

from ..errors import SfApiError
from ..models import SfRecord
from ..writes import MultipleMatches, record_create, record_delete, record_update, record_upsert, sobject_require
from .call import Call, Reply, require_object
from .records import record_render

MAX_RECORDS = 200
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the request was using AllOrNone "
                          "header", "fields": []}


class _Rollback(Exception):
    pass


def _records(call: Call) -> tuple[list, bool]:
    body = require_object(call.json())
    records = body.get("records")
    if not isinstance(records, list):
        raise SfApiError(400, "JSON_PARSER_ERROR", "The request body must contain a records list.")
    if len(records) > MAX_RECORDS:
        raise SfApiError(400, "EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than {MAX_RECORDS} "
                                                   "records into this call")
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise SfApiError(400, "JSON_PARSER_ERROR", "allOrNone must be true or false.")
    return records, all_or_none


def _type_of(record) -> str:
    if not isinstance(record, dict) or not isinstance(record.get("attributes"), dict) or not record["attributes"].get("type"):
        raise SfApiError(400, "INVALID_TYPE", "Must specify a type in attributes", [])
    return record["attributes"]["type"]


def _run(items: list, work, all_or_none: bool, *, keep_ids: bool = False) -> list[dict]:
    """Apply ``work`` to each item in its own savepoint; with allOrNone, one failure undoes all."""
    results: list[dict] = []
    try:
        with transaction.atomic():
            for item in items:
                known_id = item.get("id") if isinstance(item, dict) else None
                try:
                    with transaction.atomic():
                        results.append({"success": True, "errors": [], **work(item)})
                except SfApiError as exc:
                    results.append({**({"id": known_id} if known_id else {}), "success": False,
                                    "errors": [exc.record_error()]})
            if all_or_none and not all(r["success"] for r in results):
                raise _Rollback()
    except _Rollback:
        # Rolled-back creates have no id any more; updated and deleted records keep theirs.
        results = [r if not r["success"] else {**({"id": r["id"]} if keep_ids else {}),
                                                "success": False, "errors": [ROLLED_BACK]} for r in results]
    return results


def create(call: Call) -> Reply:
    records, all_or_none = _records(call)

    def work(record):
        kind = _type_of(record)
        if any(k.lower() == "id" for k in record):
            raise SfApiError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        return {"id": record_create(kind, record)}
    return Reply(200, _run(records, work, all_or_none))


def update(call: Call) -> Reply:
    records, all_or_none = _records(call)

    def work(record):
        kind = _type_of(record)
        sf_id = next((v for k, v in record.items() if k.lower() == "id"), None)
        if not sf_id:
            raise SfApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        record_update(kind, sf_id, {k: v for k, v in record.items() if k.lower() != "id"})
        return {"id": sf_id}
    return Reply(200, _run(records, work, all_or_none, keep_ids=True))


def upsert(call: Call, sobject: str, field: str) -> Reply:
    records, all_or_none = _records(call)
    obj = sobject_require(sobject)
    ext = obj.field(field)
    if ext is None or not ext.external_id:
        raise SfApiError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}")

    def work(record):
        if _type_of(record).lower() != obj.name.lower():
            raise SfApiError(400, "INVALID_TYPE", f"Records must all be of type {obj.name}", [])
        value = next((v for k, v in record.items() if k.lower() == ext.name.lower()), None)
        if value in (None, ""):
            raise SfApiError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{ext.name}]", [ext.name])
        try:
            sf_id, created = record_upsert(obj.name, ext.name, str(value),
                                           {k: v for k, v in record.items() if k.lower() != ext.name.lower()})
        except MultipleMatches as exc:
            raise SfApiError(300, "DUPLICATE_EXTERNAL_ID",
                             f"{ext.name}: more than one record found for external id field: {exc.ids}", [ext.name]) from exc
        return {"id": sf_id, "created": created}
    return Reply(200, _run(records, work, all_or_none))


def delete(call: Call) -> Reply:
    ids = [i for i in str(call.params.get("ids", "")).split(",") if i]
    if not ids:
        raise SfApiError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(ids) > MAX_RECORDS:
        raise SfApiError(400, "EXCEEDED_ID_LIMIT", f"cannot delete more than {MAX_RECORDS} records in one call")

    def work(item):
        record_delete(None, item["id"])
        return {"id": item["id"]}
    return Reply(200, _run([{"id": i} for i in ids], work, call.flag("allOrNone"), keep_ids=True))


def retrieve(call: Call, sobject: str) -> Reply:
    obj = sobject_require(sobject)
    if call.method == "POST":
        body = require_object(call.json())
        ids, fields = body.get("ids") or [], body.get("fields") or []
    else:
        ids = [i for i in str(call.params.get("ids", "")).split(",") if i]
        fields = [f for f in str(call.params.get("fields", "")).split(",") if f]
    if not ids or not fields:
        raise SfApiError(400, "MISSING_ARGUMENT", "ids and fields are required")
    out = []
    for sf_id in ids:
        record = SfRecord.objects.filter(sobject=obj.name, sf_id=sf_id, is_deleted=False).first()
        out.append(record_render(obj, record, call.version, fields) if record else None)
    return Reply(200, out)

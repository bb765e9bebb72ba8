"""Versions, resources, limits, describe, getUpdated/getDeleted and event schemas."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ..errors import SfApiError, not_found
from ..events import schema_fields, schema_id
from ..models import SfDeleteLog, SfRecord
from ..org import api_usage, org_get
from ..schema import CDC_OBJECTS, OBJECTS, SObject
from ..values import parse_datetime, sf_datetime
from ..writes import sobject_require
from .call import Call, Reply

VERSIONS = ["31.0", "45.0", "46.0", "55.0", "59.0", "60.0", "61.0", "62.0", "63.0", "64.0", "65.0"]


def versions_list() -> list[dict]:
    return [{"label": f"API {v}", "url": f"/services/data/v{v}", "version": v} for v in VERSIONS]


def resources(call: Call) -> Reply:
    base = f"/services/data/v{call.version}"
    names = ["limits", "query", "queryAll", "sobjects", "composite"]
    return Reply(200, {name: f"{base}/{name}" for name in names})


def limits(call: Call) -> Reply:
    used, limit = api_usage()
    return Reply(200, {
        "DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkApiRequests": {"Max": 5000, "Remaining": 5000},
        "DailyDurableStreamingApiEvents": {"Max": 10000, "Remaining": 10000},
        "DataStorageMB": {"Max": 5, "Remaining": 5},
    })


def _object_summary(obj: SObject, version: str) -> dict:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"name": obj.name, "label": obj.label or obj.name, "keyPrefix": obj.key_prefix, "custom": False,
            "createable": obj.createable, "updateable": obj.createable, "deletable": obj.createable,
            "queryable": True, "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}}


def describe_global(call: Call) -> Reply:
    return Reply(200, {"encoding": "UTF-8", "maxBatchSize": 200,
                       "sobjects": [_object_summary(o, call.version) for o in OBJECTS.values()]})


def sobject_info(call: Call, sobject: str) -> Reply:
    return Reply(200, {"objectDescribe": _object_summary(sobject_require(sobject), call.version), "recentItems": []})


def describe(call: Call, sobject: str) -> Reply:
    obj = sobject_require(sobject)
    fields = [{
        "name": f.name, "label": f.label or f.name, "type": f.type, "length": f.length, "custom": f.name.endswith("__c"),
        "nillable": f.nillable and not f.required, "createable": f.createable, "updateable": f.updateable,
        "externalId": f.external_id, "unique": f.unique, "idLookup": f.name == "Id" or f.external_id,
        "referenceTo": [f.reference_to] if f.reference_to else [], "relationshipName": f.relationship_name or None,
        "defaultedOnCreate": f.type == "boolean" or f.name in ("Id", "OwnerId", "CreatedDate", "SystemModstamp"),
        "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": False} for v in f.picklist],
    } for f in obj.fields]
    children = [{"childSObject": c.child, "field": c.field, "relationshipName": c.name, "cascadeDelete": True}
                for c in obj.children]
    return Reply(200, {**_object_summary(obj, call.version), "fields": fields, "childRelationships": children})


def _window(call: Call) -> tuple:
    start_text, end_text = call.params.get("start"), call.params.get("end")
    if not start_text or not end_text:
        raise SfApiError(400, "MISSING_ARGUMENT", "start and end are required (ISO 8601, UTC)")
    start, end = parse_datetime(start_text), parse_datetime(end_text)
    if start is None or end is None:
        raise SfApiError(400, "INVALID_REPLICATION_DATE", f"invalid date: {start_text if start is None else end_text}")
    # Seconds are ignored: the window is whole minutes.
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    now = timezone.now()
    if end < start:
        raise SfApiError(400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate")
    return start, min(end, now.replace(second=0, microsecond=0)), now


def updated(call: Call, sobject: str) -> Reply:
    obj = sobject_require(sobject)
    start, end, now = _window(call)
    if start < now - timedelta(days=30):
        raise SfApiError(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
    ids = list(SfRecord.objects.filter(sobject=obj.name, is_deleted=False, system_modstamp__gte=start,
                                       system_modstamp__lt=end).order_by("system_modstamp").values_list("sf_id", flat=True))
    return Reply(200, {"ids": ids, "latestDateCovered": sf_datetime(end)})


def deleted(call: Call, sobject: str) -> Reply:
    obj = sobject_require(sobject)
    start, end, now = _window(call)
    earliest = now - timedelta(days=15)
    if start < earliest:
        raise SfApiError(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 15 days ago")
    rows = SfDeleteLog.objects.filter(sobject=obj.name, deleted_at__gte=start, deleted_at__lt=end).order_by("deleted_at")
    return Reply(200, {"deletedRecords": [{"id": r.sf_id, "deletedDate": sf_datetime(r.deleted_at)} for r in rows],
                       "earliestDateAvailable": sf_datetime(earliest.replace(second=0, microsecond=0)),
                       "latestDateCovered": sf_datetime(end)})


def event_schema(call: Call, schema: str) -> Reply:
    """The Avro record schema of a change event (field order = changedFields bit order)."""
    for entity in CDC_OBJECTS:
        if schema_id(entity) == schema:
            return Reply(200, {"type": "record", "name": f"{entity}ChangeEvent", "namespace": "com.sforce.eventbus",
                               "fields": [{"name": name} for name in schema_fields(entity)]})
    raise not_found()


__all__ = ["versions_list", "org_get"]

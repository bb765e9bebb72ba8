"""Versions, resources, limits, describe, getUpdated/getDeleted and event schemas."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.db.models import Max
from django.utils import timezone

from ..errors import SfApiError, not_found
from ..pubsub.schemas import schema_by_id
from ..models import SfCustomField, SfDeleteLog, SfRecord
from ..org import api_usage, org_get
from ..schema import OBJECTS, SObject
from ..values import parse_datetime, sf_datetime
from ..writes import sobject_require
from .call import Call, Reply

UPDATED_DAYS, DELETED_DAYS = 30, 15  # how far back each reaches (reference §3.8)
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


METADATA_SOBJECTS = ("OpportunityStage", "PermissionSet", "FieldPermissions", "PermissionSetAssignment")


def metadata_modified() -> datetime | None:
    """When the org's metadata last changed, as describe sees it: the stage picklist (the
    OpportunityStage rows), custom fields created through the Tooling API, and the permission
    sets that decide which fields the API user sees (describe is per user)."""
    stamps = [
        SfRecord.objects.filter(sobject__in=METADATA_SOBJECTS).aggregate(latest=Max("system_modstamp"))["latest"],
        SfCustomField.objects.aggregate(latest=Max("created_at"))["latest"],
    ]
    latest = max((s for s in stamps if s), default=None)
    return latest.replace(microsecond=0) if latest else None


def _not_modified(call: Call) -> bool:
    """If-Modified-Since (EEE, dd MMM yyyy HH:mm:ss z): 304 without a body when nothing changed since."""
    text = call.headers.get("if-modified-since")
    if not text:
        return False
    try:
        since = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False  # an unreadable date is no condition: answer in full
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    modified = metadata_modified()
    return modified is not None and modified <= since


def describe_global(call: Call) -> Reply:
    if _not_modified(call):
        return Reply(304)
    return Reply(200, {"encoding": "UTF-8", "maxBatchSize": 200,
                       "sobjects": [_object_summary(o, call.version) for o in OBJECTS.values()]})


def sobject_info(call: Call, sobject: str) -> Reply:
    return Reply(200, {"objectDescribe": _object_summary(sobject_require(sobject), call.version), "recentItems": []})


def _picklist(field) -> list[dict]:
    if field.name == "StageName":  # the org's stages, in their sort order
        stages = sorted((r.fields for r in SfRecord.objects.filter(sobject="OpportunityStage")),
                        key=lambda s: s.get("SortOrder") or 0)
        return [{"active": bool(s.get("IsActive")), "defaultValue": False, "label": s.get("MasterLabel"),
                 "validFor": None, "value": s.get("ApiName")} for s in stages]
    return [{"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v} for v in field.picklist]


def describe(call: Call, sobject: str) -> Reply:
    obj = sobject_require(sobject)
    if _not_modified(call):
        return Reply(304)
    fields = [{
        "name": f.name, "label": f.label or f.name, "type": f.type, "length": f.length, "custom": f.name.endswith("__c"),
        "precision": f.precision, "scale": f.scale,
        "nillable": f.nillable and not f.required, "createable": f.createable, "updateable": f.updateable,
        "externalId": f.external_id, "unique": f.unique, "idLookup": f.name == "Id" or f.external_id,
        "referenceTo": [f.reference_to] if f.reference_to else [], "relationshipName": f.relationship_name or None,
        "defaultedOnCreate": f.type == "boolean" or f.name in ("Id", "OwnerId", "CreatedDate", "SystemModstamp"),
        "picklistValues": _picklist(f), "restrictedPicklist": f.type == "picklist",
    } for f in obj.fields]
    children = [{"childSObject": c.child, "field": c.field, "relationshipName": c.name, "cascadeDelete": True}
                for c in obj.children]
    return Reply(200, {**_object_summary(obj, call.version), "fields": fields, "childRelationships": children})


@dataclass
class ReplicationWindow:
    """A getUpdated/getDeleted window in whole minutes (the API ignores seconds)."""

    start: datetime
    end: datetime
    latest_covered: datetime


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def _window(call: Call, *, days: int) -> ReplicationWindow:
    """The documented rules (reference §3.8; SOAP getUpdated()/getDeleted() rules and guidelines)."""
    org = org_get()
    start_text, end_text = call.params.get("start"), call.params.get("end")
    if not start_text or not end_text:
        raise SfApiError(400, "MISSING_ARGUMENT", "start and end are required (ISO 8601, UTC)")
    start, end = parse_datetime(start_text), parse_datetime(end_text)
    if start is None or end is None:
        raise SfApiError(400, "INVALID_REPLICATION_DATE", f"invalid date: {start_text if start is None else end_text}")
    start, end, now = _minute(start), _minute(end), _minute(timezone.now())
    if end - start < timedelta(minutes=org.replication_min_window_minutes):
        raise SfApiError(400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate by more "
                                                          "than one minute")
    if start < now - timedelta(days=days):
        raise SfApiError(400, "INVALID_REPLICATION_DATE", f"startDate cannot be more than {days} days ago")
    # Changes still in flight (replication_lag_minutes) are not covered yet: latestDateCovered
    # stops before them, and the caller's next window starts there.
    latest = max(start, min(end, now - timedelta(minutes=org.replication_lag_minutes)))
    return ReplicationWindow(start, end, latest)


def _id_limit_check(count: int) -> None:
    if count > org_get().replication_id_limit:
        raise SfApiError(400, "EXCEEDED_ID_LIMIT", "too many ids in this window: choose start and end dates "
                                                   "closer together")


def updated(call: Call, sobject: str) -> Reply:
    obj = sobject_require(sobject)
    window = _window(call, days=UPDATED_DAYS)
    ids = list(SfRecord.objects.filter(sobject=obj.name, is_deleted=False, system_modstamp__gte=window.start,
                                       system_modstamp__lt=window.latest_covered)
               .order_by("system_modstamp").values_list("sf_id", flat=True))
    _id_limit_check(len(ids))
    return Reply(200, {"ids": ids, "latestDateCovered": sf_datetime(window.latest_covered)})


def deleted(call: Call, sobject: str) -> Reply:
    obj = sobject_require(sobject)
    window = _window(call, days=DELETED_DAYS)
    org = org_get()
    earliest = _minute(timezone.now()) - timedelta(days=DELETED_DAYS)
    if org.delete_log_purged_before and org.delete_log_purged_before > earliest:
        earliest = org.delete_log_purged_before
        if window.start < earliest and org.purged_window_error:
            raise SfApiError(400, "INVALID_REPLICATION_DATE", "the delete log was purged after startDate "
                                                              f"(earliest date available: {sf_datetime(earliest)})")
    rows = list(SfDeleteLog.objects.filter(sobject=obj.name, deleted_at__gte=window.start,
                                           deleted_at__lt=window.latest_covered).order_by("deleted_at"))
    _id_limit_check(len(rows))
    return Reply(200, {"deletedRecords": [{"id": r.sf_id, "deletedDate": sf_datetime(r.deleted_at)} for r in rows],
                       "earliestDateAvailable": sf_datetime(earliest),
                       "latestDateCovered": sf_datetime(window.latest_covered)})


def event_schema(call: Call, schema: str) -> Reply:
    """The Avro schema of a change event, the same one the Pub/Sub API's GetSchema serves."""
    found = schema_by_id(schema)
    if found is None:
        raise not_found()
    return Reply(200, found.schema)


__all__ = ["versions_list", "org_get"]

"""sObject rows: create (201), read (200), update (204), delete (204), and the rows by
external id: read, upsert (201 created / 200 or, up to v45.0, 204 updated / 300 several
matches), delete."""
from __future__ import annotations

from ..errors import SfApiError, invalid_field, not_found
from ..org import org_get
from ..writes import MultipleMatches, record_create, record_delete, record_find, record_update, record_upsert, \
    sobject_require
from ..models import SfRecord
from .call import Call, Reply, require_object


def record_render(obj, record: SfRecord, version: str, fields: list[str] | None = None) -> dict:
    out = {"attributes": {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{record.sf_id}"}}
    names = [f.name for f in obj.fields] if not fields else fields
    for name in names:
        field = obj.field(name)
        if field is None:
            raise invalid_field(obj.name, name)
        out[field.name] = record.fields.get(field.name)
    return out


def _fields_param(call: Call) -> list[str] | None:
    raw = call.params.get("fields")
    return [f.strip() for f in raw.split(",") if f.strip()] if raw else None


def create(call: Call, sobject: str) -> Reply:
    sf_id = record_create(sobject, require_object(call.json()))
    obj = sobject_require(sobject)
    return Reply(201, {"id": sf_id, "success": True, "errors": []},
                 {"Location": f"/services/data/v{call.version}/sobjects/{obj.name}/{sf_id}"})


def read(call: Call, sobject: str, record_id: str) -> Reply:
    obj = sobject_require(sobject)
    return Reply(200, record_render(obj, record_find(obj, record_id), call.version, _fields_param(call)))


def update(call: Call, sobject: str, record_id: str) -> Reply:
    record_update(sobject, record_id, require_object(call.json()))
    return Reply(204)


def delete(call: Call, sobject: str, record_id: str) -> Reply:
    record_delete(sobject, record_id)
    return Reply(204)


def _by_external_id(sobject: str, field: str, value: str) -> list[SfRecord]:
    obj = sobject_require(sobject)
    ext = obj.field(field)
    if ext is None or not ext.external_id:
        raise SfApiError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}")
    return [r for r in SfRecord.objects.filter(sobject=obj.name, is_deleted=False)
            if str(r.fields.get(ext.name) or "").lower() == value.lower()]


def _multiple(call: Call, sobject: str, ids: list[str]) -> Reply:
    obj = sobject_require(sobject)
    return Reply(300, [f"/services/data/v{call.version}/sobjects/{obj.name}/{i}" for i in ids])


def _single(call: Call, sobject: str, field: str, value: str) -> SfRecord | Reply:
    """The one record with this external id, or the 300 reply listing several."""
    matches = _by_external_id(sobject, field, value)
    if not matches:
        raise not_found()
    if len(matches) > 1:
        return _multiple(call, sobject, [m.sf_id for m in matches])
    return matches[0]


def read_by_external_id(call: Call, sobject: str, field: str, value: str) -> Reply:
    found = _single(call, sobject, field, value)
    if isinstance(found, Reply):
        return found
    return Reply(200, record_render(sobject_require(sobject), found, call.version, _fields_param(call)))


def upsert(call: Call, sobject: str, field: str, value: str) -> Reply:
    data = require_object(call.json())
    if call.flag("updateOnly") and not _by_external_id(sobject, field, value):
        raise not_found()
    try:
        sf_id, created = record_upsert(sobject, field, value, data)
    except MultipleMatches as exc:
        return _multiple(call, sobject, exc.ids)
    if created:
        return Reply(201, {"id": sf_id, "success": True, "errors": [], "created": True})
    if call.version_number <= float(org_get().upsert_legacy_204_max_version):
        return Reply(204)
    return Reply(200, {"id": sf_id, "success": True, "errors": [], "created": False})


def delete_by_external_id(call: Call, sobject: str, field: str, value: str) -> Reply:
    found = _single(call, sobject, field, value)
    if isinstance(found, Reply):
        return found
    record_delete(sobject, found.sf_id)
    return Reply(204)

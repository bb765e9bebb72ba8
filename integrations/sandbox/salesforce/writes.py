"""Create, update, upsert and delete records with the real validation, derived fields and a
change event per changed record. Callers hold the API call's transaction."""
from __future__ import annotations


from . import rules
from .context import write_context
from .errors import SfApiError, invalid_field, malformed_id, not_found, not_supported
from .events import change_emit
from .ids import id_new, id_normalise
from .models import SfDeleteLog, SfRecord
from .org import integration_user, org_get
from .catalog import sobject_view
from .schema import PREFIXES, SObject
from .security import SECURITY_OBJECTS
from .context import schema_cache_clear
from .values import coerce, sf_datetime, sf_now

SYSTEM_FIELDS = {"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp"}


def sobject_require(name: str) -> SObject:
    obj = sobject_view(name)
    if obj is None:
        raise not_supported(name)
    return obj


def record_find(obj: SObject, sf_id: str, *, include_deleted: bool = False) -> SfRecord:
    normal = id_normalise(sf_id)
    if normal is None or not normal.startswith(obj.key_prefix):
        raise malformed_id(obj.name, sf_id)
    record = SfRecord.objects.filter(sobject=obj.name, sf_id=normal).first()
    if record is None or (record.is_deleted and not include_deleted):
        raise not_found()
    return record


def sobject_for_id(sf_id: str) -> SObject:
    normal = id_normalise(sf_id or "")
    name = PREFIXES.get(normal[:3]) if normal else None
    if name is None:
        raise SfApiError(400, "MALFORMED_ID", f"invalid cross reference id: {sf_id}", ["Id"])
    return sobject_require(name)


def _changes(obj: SObject, data: dict, *, creating: bool, multi_currency: bool) -> dict:
    if not isinstance(data, dict):
        raise SfApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.")
    changes, locked = {}, []
    for key, value in data.items():
        if key == "attributes":
            continue
        field = obj.field(key)
        if field is None:
            parent = obj.parent_field(key)
            if parent is not None and isinstance(value, dict):
                changes[parent.name] = _resolve_by_external_id(parent, value)
                continue
            raise invalid_field(obj.name, key)
        if field.name == "Id":
            continue  # the id travels in the URL or in the collection record; it never changes
        if not (field.createable if creating else field.updateable):
            locked.append(field.name)
            continue
        changes[field.name] = coerce(obj, field, value, multi_currency=multi_currency)
    if locked:
        raise SfApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                         f"Unable to create/update fields: {', '.join(locked)}. Please check the security settings of "
                         "this field and verify that it is read/write for your profile or permission set.", locked)
    return changes


def _resolve_by_external_id(parent_field, value: dict) -> str:
    """``"Account": {"FreshBooks_Client_Id__c": "42"}`` sets AccountId from the external id."""
    target = sobject_require(parent_field.reference_to)
    pairs = [(k, v) for k, v in value.items() if k != "attributes"]
    field = target.field(pairs[0][0]) if len(pairs) == 1 else None
    if field is None or not (field.external_id or field.name == "Id"):
        raise SfApiError(400, "INVALID_FIELD", f"Foreign key external ID field not found on {target.name}")
    matches = _by_field(target, field.name, pairs[0][1])
    if len(matches) != 1:
        raise SfApiError(400, "INVALID_FIELD", f"Foreign key external ID: {pairs[0][1]} not found for field "
                                               f"{field.name} in entity {target.name}", [])
    return matches[0].sf_id


def _by_field(obj: SObject, field_name: str, value) -> list[SfRecord]:
    wanted = str(value).lower()
    return [r for r in SfRecord.objects.filter(sobject=obj.name, is_deleted=False)
            if r.fields.get(field_name) is not None and str(r.fields[field_name]).lower() == wanted]


def _check(obj: SObject, values: dict, changes: dict, own_id: str) -> None:
    missing = [f.name for f in obj.fields if f.required and values.get(f.name) in (None, "")]
    if missing:
        raise SfApiError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
    for name, value in changes.items():
        field = obj.field(name)
        if field.type == "reference" and value and field.reference_to != "User":
            if not SfRecord.objects.filter(sobject=field.reference_to, sf_id=value, is_deleted=False).exists():
                raise SfApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [name])
        if field.unique and value is not None:
            clash = [r for r in _by_field(obj, name, value) if r.sf_id != own_id]
            if clash:
                raise SfApiError(400, "DUPLICATE_VALUE", f"duplicate value found: {name} duplicates value on record "
                                                         f"with id: {clash[0].sf_id}", [])
    if org_get().duplicate_rules:
        _duplicate_rule(obj, values, own_id)


def _duplicate_rule(obj: SObject, values: dict, own_id: str) -> None:
    key = {"Account": "Name", "Contact": "Email"}.get(obj.name)
    if not key or not values.get(key):
        return
    matches = [r for r in _by_field(obj, key, values[key]) if r.sf_id != own_id]
    if matches:
        raise SfApiError(400, "DUPLICATES_DETECTED", "Use one of these records?", [], extra={"duplicateResult": {
            "allowSave": False, "duplicateRule": f"Standard_{obj.name}_Duplicate_Rule", "duplicateRuleEntityType": obj.name,
            "errorMessage": "You're creating a duplicate record. We recommend you use an existing record instead.",
            "matchResults": [{"entityType": obj.name, "matchRecords": [
                {"record": {"attributes": {"type": obj.name}, "Id": r.sf_id}, "matchConfidence": 100.0}
                for r in matches]}]}})


def record_create(name: str, data: dict) -> str:
    org = org_get()
    obj = sobject_require(name)
    if not obj.createable:
        raise SfApiError(400, "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", f"entity type {obj.name} does not support insert")
    changes = _changes(obj, data, creating=True, multi_currency=org.multi_currency)
    stamp = sf_now()
    now, user = sf_datetime(stamp), write_context().user_id or integration_user().sf_id
    values = {f.name: None for f in obj.fields}
    values.update({f.name: False for f in obj.fields if f.type == "boolean"})
    if org.multi_currency and obj.field("CurrencyIsoCode") and obj.name != "OpportunityLineItem":
        values["CurrencyIsoCode"] = org.default_currency
    values.update(changes)
    sf_id = id_new(obj.key_prefix)
    values.update(Id=sf_id, IsDeleted=False, CreatedDate=now, CreatedById=user, LastModifiedDate=now,
                  LastModifiedById=user, SystemModstamp=now)
    if obj.field("OwnerId") and not values.get("OwnerId"):
        values["OwnerId"] = user
    rule = rules.RULES.get(obj.name)
    if rule:
        rule(values, changes, None)
    _check(obj, values, changes, sf_id)
    SfRecord.objects.create(sobject=obj.name, sf_id=sf_id, fields=values, system_modstamp=stamp)
    change_emit(entity=obj.name, record_id=sf_id, change_type="CREATE", changed_fields=[], values=values)
    _after_write(obj, values, None)
    return sf_id


def record_update(name: str, sf_id: str, data: dict) -> None:
    org = org_get()
    obj = sobject_require(name)
    record = record_find(obj, sf_id)
    changes = _changes(obj, data, creating=False, multi_currency=org.multi_currency)
    _save(obj, record, changes)


def _save(obj: SObject, record: SfRecord, changes: dict, *, derived: bool = False) -> list[str]:
    before = dict(record.fields)
    values = {**before, **changes}
    rule = rules.RULES.get(obj.name)
    if rule and not derived:
        rule(values, changes, before)
    if not derived:
        _check(obj, values, changes, record.sf_id)
    changed = [k for k in values if values.get(k) != before.get(k)]
    now = sf_now()
    values.update(LastModifiedDate=sf_datetime(now), SystemModstamp=sf_datetime(now),
                  LastModifiedById=write_context().user_id or before.get("LastModifiedById"))
    record.fields, record.system_modstamp = values, now
    record.save(update_fields=["fields", "system_modstamp"])
    if changed:
        change_emit(entity=obj.name, record_id=record.sf_id, change_type="UPDATE",
                    changed_fields=changed + ["LastModifiedDate"], values=values)
    if not derived:
        _after_write(obj, values, before)
    return changed


def _after_write(obj: SObject, values: dict, before: dict | None) -> None:
    """Cross-record effects: roll line items up to the Opportunity; one primary contact role."""
    if obj.name == "OpportunityLineItem":
        _rollup(values["OpportunityId"])
    elif obj.name == "OrderItem":
        _order_rollup(values["OrderId"])
    elif obj.name == "OpportunityContactRole" and values.get("IsPrimary"):
        for other in SfRecord.objects.filter(sobject="OpportunityContactRole", is_deleted=False):
            if other.sf_id != values["Id"] and other.fields.get("OpportunityId") == values["OpportunityId"] \
                    and other.fields.get("IsPrimary"):
                _save(obj, other, {"IsPrimary": False}, derived=True)


def _rollup(opportunity_id: str) -> None:
    changes = rules.opportunity_rollup(opportunity_id)
    opp = SfRecord.objects.filter(sobject="Opportunity", sf_id=opportunity_id, is_deleted=False).first()
    if changes and opp:
        _save(sobject_require("Opportunity"), opp, changes, derived=True)


def _order_rollup(order_id: str) -> None:
    changes = rules.order_rollup(order_id)
    found = SfRecord.objects.filter(sobject="Order", sf_id=order_id, is_deleted=False).first()
    if changes and found:
        _save(sobject_require("Order"), found, changes, derived=True)


def record_upsert(name: str, field_name: str, value: str, data: dict) -> tuple[str, bool]:
    """Upsert by external id; returns (id, created). Several matches answer 300."""
    obj = sobject_require(name)
    field = obj.field(field_name)
    if field is None or not (field.external_id or field.name == "Id"):
        raise SfApiError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field_name}")
    if isinstance(data, dict) and any(k.lower() in (field.name.lower(), "id") for k in data):
        raise SfApiError(400, "INVALID_FIELD", f"Do not specify the external ID field {field.name} or Id in the "
                                               "request body when upserting by external ID", [field.name])
    matches = _by_field(obj, field.name, value)
    if len(matches) > 1:
        raise MultipleMatches([m.sf_id for m in matches])
    if matches:
        record_update(obj.name, matches[0].sf_id, data)
        return matches[0].sf_id, False
    return record_create(obj.name, {**(data if isinstance(data, dict) else {}), field.name: value}), True


class MultipleMatches(Exception):
    def __init__(self, ids: list[str]):
        super().__init__(f"{len(ids)} records match")
        self.ids = ids


def record_delete(name: str | None, sf_id: str) -> None:
    obj = sobject_require(name) if name else sobject_for_id(sf_id)
    record = record_find(obj, sf_id)
    _delete(obj, record)


def _delete(obj: SObject, record: SfRecord) -> None:
    for child in obj.children:
        child_obj = sobject_require(child.child)
        for row in SfRecord.objects.filter(sobject=child.child, is_deleted=False):
            if row.fields.get(child.field) == record.sf_id:
                _delete(child_obj, row)
    now = sf_now()
    SfDeleteLog.objects.create(sobject=obj.name, sf_id=record.sf_id, deleted_at=now)
    if obj.hard_delete:  # line items skip the recycle bin
        record.delete()
    else:
        record.is_deleted, record.deleted_at, record.system_modstamp = True, now, now
        record.fields = {**record.fields, "IsDeleted": True, "SystemModstamp": sf_datetime(now)}
        record.save(update_fields=["is_deleted", "deleted_at", "system_modstamp", "fields"])
    change_emit(entity=obj.name, record_id=record.sf_id, change_type="DELETE", changed_fields=[], values={})
    if obj.name in SECURITY_OBJECTS:  # access granted or taken away: this call's view of the schema changes
        schema_cache_clear()
    if obj.name == "OpportunityLineItem":
        _rollup(record.fields["OpportunityId"])
    elif obj.name == "OrderItem":
        _order_rollup(record.fields["OrderId"])

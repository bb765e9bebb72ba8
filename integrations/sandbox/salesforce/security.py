"""Field-level security of the simulated org, kept as records of the setup objects the real
API exposes: PermissionSet, FieldPermissions (ParentId, SobjectType, Field, PermissionsRead,
PermissionsEdit) and PermissionSetAssignment (AssigneeId, PermissionSetId).

A custom field created through the Tooling API is granted to nobody: the API user neither
sees it (describe, SOQL) nor writes it until a permission set assigned to them grants Read
(and Edit). Fields that ship with the org (standard ones, and ours when the org setting says
they are installed) are open to every user.
"""
from __future__ import annotations

import re

from .context import schema_cache_clear
from .errors import SfApiError
from .models import SfCustomField, SfRecord, SfUser
from .org import org_get
from .schema import is_custom, sobject_get

SECURITY_OBJECTS = {"PermissionSet", "FieldPermissions", "PermissionSetAssignment"}
API_NAME_RE = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
DUPLICATE = "duplicate value found: <unknown> duplicates value on record with id: <unknown>"


def field_grants(user_id: str) -> dict[str, tuple[bool, bool]]:
    """``"opportunity.amount_paid__c"`` → (read, edit) over every permission set assigned to the user."""
    set_ids = [row.fields.get("PermissionSetId") for row in SfRecord.objects.filter(
        sobject="PermissionSetAssignment", is_deleted=False, fields__AssigneeId=user_id)]
    grants: dict[str, tuple[bool, bool]] = {}
    if not set_ids:
        return grants
    for row in SfRecord.objects.filter(sobject="FieldPermissions", is_deleted=False, fields__ParentId__in=set_ids):
        key = str(row.fields.get("Field") or "").lower()
        read, edit = grants.get(key, (False, False))
        grants[key] = (read or bool(row.fields.get("PermissionsRead")), edit or bool(row.fields.get("PermissionsEdit")))
    return grants


def org_field_exists(sobject: str, name: str) -> bool:
    """Whether the org has this field at all, whoever may see it."""
    base = sobject_get(sobject)
    if base is None:
        return False
    field = base.field(name)
    if field is not None and (not is_custom(field) or org_get().custom_fields_installed):
        return True
    developer_name = name[:-3] if name.lower().endswith("__c") else name
    return SfCustomField.objects.filter(sobject=base.name, developer_name__iexact=developer_name).exists()


# -- rules (applied on create and update, before the record is saved) -----------------------------
def permission_set(values: dict, changes: dict, before: dict | None) -> None:
    if before is None:
        name = str(values.get("Name") or "")
        if not API_NAME_RE.match(name) or name.endswith("_"):
            raise SfApiError(400, "FIELD_INTEGRITY_EXCEPTION", "The API Name can only contain underscores and "
                                                               "alphanumeric characters. It must begin with a letter "
                                                               "and be unique.", ["Name"])
        if any(str(r.fields.get("Name") or "").lower() == name.lower()
               for r in SfRecord.objects.filter(sobject="PermissionSet", is_deleted=False)):
            raise SfApiError(400, "DUPLICATE_DEVELOPER_NAME", "The API Name you entered is already in use. "
                                                              "Enter a unique API Name.", ["Name"])
        values["IsOwnedByProfile"] = False
    schema_cache_clear()


def field_permissions(values: dict, changes: dict, before: dict | None) -> None:
    if values.get("PermissionsEdit") and not values.get("PermissionsRead"):
        raise SfApiError(400, "FIELD_INTEGRITY_EXCEPTION", "Permission Edit depends on permission(s): Read",
                         ["PermissionsEdit"])
    if before is None:
        sobject, field = str(values.get("SobjectType") or ""), str(values.get("Field") or "")
        object_part, _, field_part = field.partition(".")
        if object_part.lower() != sobject.lower() or not org_field_exists(sobject, field_part):
            raise SfApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                             f"Field Name: bad value for restricted picklist field: {field}", ["Field"])
        if any(str(r.fields.get("Field") or "").lower() == field.lower() for r in SfRecord.objects.filter(
                sobject="FieldPermissions", is_deleted=False, fields__ParentId=values.get("ParentId"))):
            raise SfApiError(400, "DUPLICATE_VALUE", DUPLICATE, [])
    schema_cache_clear()


def permission_set_assignment(values: dict, changes: dict, before: dict | None) -> None:
    if before is None:
        if not SfUser.objects.filter(sf_id=values.get("AssigneeId")).exists():
            raise SfApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["AssigneeId"])
        if SfRecord.objects.filter(sobject="PermissionSetAssignment", is_deleted=False,
                                   fields__AssigneeId=values.get("AssigneeId"),
                                   fields__PermissionSetId=values.get("PermissionSetId")).exists():
            raise SfApiError(400, "DUPLICATE_VALUE", DUPLICATE, [])
    schema_cache_clear()


RULES = {"PermissionSet": permission_set, "FieldPermissions": field_permissions,
         "PermissionSetAssignment": permission_set_assignment}

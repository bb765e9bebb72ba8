"""The Tooling API's CustomField: create (POST tooling/sobjects/CustomField with FullName and
Metadata) and query (GET tooling/query?q=SELECT … FROM CustomField …).

Create validates as the real one does: the object must exist and take custom fields, the
name must be a valid API name ending in __c that no field of the object has (or had:
DUPLICATE_DEVELOPER_NAME), the type must be one we know with the attributes it needs (Text
length 1–255, Currency/Number precision 1–18 and scale ≤ precision, Picklist values), and
unique/externalId only where Salesforce allows them. The created field is granted to nobody
(see security.py). Error codes for invalid metadata are FIELD_INTEGRITY_EXCEPTION, as the
Metadata API reports them for a field; the exact code per case is not documented.
"""
from __future__ import annotations

import re

from ..context import schema_cache_clear
from ..errors import SfApiError
from ..ids import id_new, id_stable
from ..models import SfCustomField
from ..org import org_get
from ..schema import CUSTOMIZABLE, is_custom, sobject_get
from ..soql.parser import BoolOp, Comparison, FieldRef, soql_parse
from .call import Call, Reply, require_object

DEVELOPER_NAME_RE = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
# Metadata type → describe type, and what each type needs.
TYPES = {"Text": "string", "TextArea": "textarea", "LongTextArea": "textarea", "Email": "email", "Phone": "phone",
         "Url": "url", "Number": "double", "Currency": "currency", "Percent": "percent", "Date": "date",
         "DateTime": "datetime", "Checkbox": "boolean", "Picklist": "picklist"}
NUMERIC = {"Number", "Currency", "Percent"}
UNIQUE_TYPES = {"Text", "Number", "Email"}
EXTERNAL_ID_TYPES = {"Text", "Number", "Email"}
TOOLING_FIELDS = ["Id", "DeveloperName", "TableEnumOrId", "FullName", "Metadata"]


def _integrity(message: str, field: str = "Metadata") -> SfApiError:
    return SfApiError(400, "FIELD_INTEGRITY_EXCEPTION", message, [field])


def custom_field_create(call: Call) -> Reply:
    body = require_object(call.json())
    full_name = str(body.get("FullName") or "")
    meta = body.get("Metadata")
    if not isinstance(meta, dict):
        raise SfApiError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Metadata]", ["Metadata"])
    object_name, _, field_name = full_name.partition(".")
    base = sobject_get(object_name)
    if base is None or base.name not in CUSTOMIZABLE:
        raise SfApiError(400, "FIELD_INTEGRITY_EXCEPTION", f"Invalid FullName: no entity named {object_name!r} that "
                                                           "takes custom fields", ["FullName"])
    developer_name = field_name[:-3] if field_name.endswith("__c") else ""
    if not developer_name or not DEVELOPER_NAME_RE.match(developer_name) or developer_name.endswith("_") \
            or len(developer_name) > 40:
        raise SfApiError(400, "FIELD_INTEGRITY_EXCEPTION", "The Field Name can only contain underscores and "
                                                           "alphanumeric characters. It must be unique, begin with a "
                                                           "letter, not include spaces, not end with an underscore, "
                                                           "and not contain two consecutive underscores; a custom "
                                                           "field's FullName ends in __c.", ["FullName"])
    if _exists(base.name, developer_name):
        raise SfApiError(400, "DUPLICATE_DEVELOPER_NAME", "This Field Name already exists or has been previously "
                                                          "used. Please choose a different name.", ["FullName"])
    spec = _validated(meta)
    custom = SfCustomField.objects.create(sf_id=id_new("00N"), sobject=base.name, developer_name=developer_name,
                                          metadata=meta, **spec)
    schema_cache_clear()
    return Reply(201, {"id": custom.sf_id, "success": True, "errors": [], "warnings": [], "infos": []})


def _exists(sobject: str, developer_name: str) -> bool:
    base = sobject_get(sobject)
    field = base.field(f"{developer_name}__c")
    if field is not None and org_get().custom_fields_installed:
        return True
    return SfCustomField.objects.filter(sobject=sobject, developer_name__iexact=developer_name).exists()


def _validated(meta: dict) -> dict:
    kind = meta.get("type")
    if kind not in TYPES:
        raise _integrity(f"Invalid field type: {kind!r}")
    label = str(meta.get("label") or "")
    if not label or len(label) > 40:
        raise _integrity("Field label is required (at most 40 characters)")
    spec = {"type": TYPES[kind], "label": label, "external_id": bool(meta.get("externalId")),
            "unique": bool(meta.get("unique"))}
    if kind == "Text":
        spec["length"] = _int(meta.get("length"), "length", 1, 255)
    elif kind == "LongTextArea":
        spec["length"] = _int(meta.get("length"), "length", 256, 131072)
    elif kind in NUMERIC:
        precision = _int(meta.get("precision"), "precision", 1, 18)
        scale = _int(meta.get("scale", 0), "scale", 0, precision)
        spec.update(precision=precision, scale=scale)
    elif kind == "Picklist":
        spec["picklist"] = _picklist(meta)
    if spec["unique"] and kind not in UNIQUE_TYPES:
        raise _integrity(f"A {kind} field cannot be unique")
    if spec["external_id"] and kind not in EXTERNAL_ID_TYPES:
        raise _integrity(f"A {kind} field cannot be an external id")
    return spec


def _int(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() \
            or not low <= int(value) <= high:
        raise _integrity(f"{name} must be a whole number from {low} to {high} (got {value!r})")
    return int(value)


def _picklist(meta: dict) -> list[str]:
    values = ((meta.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value") or []
    names = [str(v.get("fullName") or "") for v in values if isinstance(v, dict)]
    if not names or not all(names):
        raise _integrity("A picklist needs at least one value (valueSet.valueSetDefinition.value[].fullName)")
    if len({n.lower() for n in names}) != len(names):
        raise _integrity("Duplicate picklist value")
    return names


# -- tooling query ------------------------------------------------------------------------
def query(call: Call) -> Reply:
    """SELECT over CustomField (the only Tooling object we model), WHERE with =, IN and AND.
    FullName and Metadata may only be read for one row at a time, as on the real API."""
    text = call.params.get("q") or ""
    parsed = soql_parse(text)
    if parsed.sobject.lower() != "customfield":
        raise SfApiError(400, "INVALID_TYPE", f"sObject type '{parsed.sobject}' is not supported.")
    names = []
    for item in parsed.select:
        if not isinstance(item, FieldRef) or len(item.path) != 1 or item.path[0] not in TOOLING_FIELDS:
            raise SfApiError(400, "INVALID_FIELD", f"No such column on entity 'CustomField': {text}")
        names.append(item.path[0])
    rows = [row for row in _rows() if _matches(parsed.where, row)]
    if {"FullName", "Metadata"} & set(names) and len(rows) > 1:
        raise SfApiError(400, "MALFORMED_QUERY", "When retrieving results with Metadata or FullName fields, the query "
                                                 "qualifications must specify no more than one row for retrieval. "
                                                 f"Result size: {len(rows)}")
    records = [{"attributes": {"type": "CustomField", "url": f"/services/data/v{call.version}/tooling/sobjects/"
                                                             f"CustomField/{row['Id']}"},
                **{name: row[name] for name in names}} for row in rows]
    return Reply(200, {"size": len(records), "totalSize": len(records), "done": True, "queryLocator": None,
                       "entityTypeName": "CustomField", "records": records})


def _rows() -> list[dict]:
    rows = []
    if org_get().custom_fields_installed:
        for name in sorted(CUSTOMIZABLE):
            for field in sobject_get(name).fields:
                if is_custom(field):
                    rows.append(_row(id_stable("00N", f"{name}.{field.name}"), name, field.name[:-3], {"label": field.label}))
    for custom in SfCustomField.objects.order_by("pk"):
        rows.append(_row(custom.sf_id, custom.sobject, custom.developer_name, custom.metadata))
    return rows


def _row(sf_id: str, sobject: str, developer_name: str, metadata: dict) -> dict:
    return {"Id": sf_id, "DeveloperName": developer_name, "TableEnumOrId": sobject,
            "FullName": f"{sobject}.{developer_name}__c", "Metadata": metadata}


def _matches(node, row: dict) -> bool:
    if node is None:
        return True
    if isinstance(node, BoolOp) and node.op == "AND":
        return all(_matches(item, row) for item in node.items)
    if isinstance(node, Comparison) and len(node.field.path) == 1 and node.field.path[0] in row:
        value = str(row[node.field.path[0]]).lower()
        if node.op == "=":
            return value == str(node.value.value).lower()
        if node.op == "IN":
            return value in {str(v.value).lower() for v in node.value}
    raise SfApiError(400, "MALFORMED_QUERY", "Tooling queries of CustomField filter with =, IN and AND only "
                                             "(simulator subset).")

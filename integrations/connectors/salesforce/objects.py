"""Any Salesforce object, standard or custom, by name (connectors/objects.py): its shape from
describe, records read, found (SOQL through soql_format), created and updated through the
sObject API. A describe is kept as a DescribedObject row, so the mapping schemas list it."""
from __future__ import annotations

from integrations.connectors.objects import ObjectAccess, Written, object_unknown
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.errors import RecordNotFound
from integrations.connectors.salesforce.soql import soql_format, soql_select
from integrations.errors import FatalError
from integrations.models import DescribedObject
from mappings.schemas import Schema, schema_build, schema_field

# describe type → mapping schema type
TYPES = {"string": "text", "textarea": "text", "url": "text", "picklist": "code", "multipicklist": "text",
         "email": "email", "phone": "phone", "currency": "decimal", "double": "decimal", "percent": "decimal",
         "int": "int", "boolean": "bool", "date": "date", "datetime": "datetime", "reference": "id", "id": "id"}


def describe_fields(describe: dict) -> list[dict]:
    """A describe's fields as the plain rows a DescribedObject keeps."""
    return [{"name": f["name"], "type": f["type"], "length": f.get("length") or None, "label": f.get("label", ""),
             "required": bool(f.get("createable") and not f.get("nillable") and not f.get("defaultedOnCreate")
                              and f["type"] != "boolean"),
             "picklist": [p["value"] for p in f.get("picklistValues") or [] if p.get("active", True)],
             "createable": bool(f.get("createable")), "updateable": bool(f.get("updateable")),
             "external_id": bool(f.get("externalId")), "reference_to": list(f.get("referenceTo") or [])}
            for f in describe.get("fields", [])]


def described_schema(row: DescribedObject) -> Schema:
    """The mappings Schema of a stored describe (closed: a field describe did not list is unknown)."""
    fields = [schema_field(f["name"], TYPES.get(f["type"], "text"), f.get("length"), f.get("required", False),
                           label=f.get("label", ""), picklist=tuple(f.get("picklist") or ()),
                           createable=f.get("createable", True), updateable=f.get("updateable", True),
                           external_id=f.get("external_id", False))
              for f in row.fields]
    return schema_build(row.system, row.name, fields, label=row.label, described=True)


def sobject_describe_store(client: SalesforceClient, name: str) -> DescribedObject:
    """Describe the object and keep what it said; an object the org does not have is refused
    naming the objects it has."""
    try:
        describe = client.describe(name)
    except RecordNotFound:
        raise object_unknown("salesforce", name, sobject_names(client)) from None
    except FatalError as exc:
        if exc.http_status == 404:
            raise object_unknown("salesforce", name, sobject_names(client)) from None
        raise
    row, _ = DescribedObject.objects.update_or_create(
        system="salesforce", name=describe["name"],
        defaults={"label": describe.get("label", ""), "fields": describe_fields(describe)})
    return row


def sobject_names(client: SalesforceClient) -> list[str]:
    """The org's queryable objects (describeGlobal)."""
    found = client.restful("sobjects/")
    return sorted(o["name"] for o in found.get("sobjects", []) if o.get("queryable", True))


class SalesforceObjects(ObjectAccess):
    archives = False  # Salesforce has no archive; a delete is left to a person
    describes = True  # any sObject, custom ones included

    def objects(self, connection) -> list[str]:
        return sobject_names(SalesforceClient(connection))

    def schema(self, connection, name: str) -> Schema:
        return described_schema(sobject_describe_store(SalesforceClient(connection), name))

    def get(self, connection, name: str, record_id: str, *, children: tuple[str, ...] = ()) -> dict | None:
        client = SalesforceClient(connection)
        try:
            record = client.get(name, record_id)
        except RecordNotFound:
            return None
        record = {k: v for k, v in record.items() if k != "attributes"}
        for relationship in children:  # e.g. an Order's OrderItems, as a list of records
            record[relationship] = self._children(client, name, record_id, relationship)
        return record

    def _children(self, client: SalesforceClient, name: str, record_id: str, relationship: str) -> list[dict]:
        parent = client.describe(name)
        found = next((c for c in parent.get("childRelationships") or []
                      if (c.get("relationshipName") or "").lower() == relationship.lower()), None)
        if found is None:
            known = sorted(c["relationshipName"] for c in parent.get("childRelationships") or []
                           if c.get("relationshipName"))
            raise object_unknown("salesforce", f"{name}.{relationship}", [f"{name}.{k}" for k in known])
        child = found["childSObject"]
        fields = [f["name"] for f in client.describe(child).get("fields", [])]
        soql = soql_select(fields, child) + soql_format(" WHERE {parent:field} = {id} ORDER BY CreatedDate",
                                                       parent=found["field"], id=record_id)
        return [{k: v for k, v in row.items() if k != "attributes"} for row in client.query_all(soql)]

    def find(self, connection, name: str, field: str, value) -> list[str]:
        if value in (None, ""):
            return []
        soql = soql_format("SELECT Id FROM {obj:field} WHERE {name:field} = {value} ORDER BY CreatedDate LIMIT 10",
                           obj=name, name=field, value=value)
        return [r["Id"] for r in SalesforceClient(connection).query_all(soql)]

    def create(self, connection, name: str, data: dict) -> Written:
        record_id = SalesforceClient(connection).create(name, data)
        return Written(record_id, {**data, "Id": record_id})

    def update(self, connection, name: str, record_id: str, data: dict) -> Written:
        writable = {k: v for k, v in data.items() if k != "Id"}
        if writable:
            SalesforceClient(connection).update(name, record_id, writable)
        return Written(record_id, {**data, "Id": record_id})

    def version(self, name: str, record: dict) -> str:
        return record.get("SystemModstamp") or ""

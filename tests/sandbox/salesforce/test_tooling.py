"""Tooling API CustomField, field-level security through permission sets, and an org created
without our custom fields (SfOrg.custom_fields_installed off)."""
from __future__ import annotations

import pytest

from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.org import integration_user
from tests.sandbox.salesforce.test_rest import api, create  # noqa: F401 (fixture)

TEXT_50 = {"type": "Text", "label": "FreshBooks Invoice Id", "length": 50}


@pytest.fixture
def fresh(api):  # noqa: F811
    sim.org_configure(custom_fields_installed=False)
    return api


def field_create(api, full_name, metadata):  # noqa: F811
    return api("POST", "tooling/sobjects/CustomField/", {"FullName": full_name, "Metadata": metadata})


def describe_fields(api, sobject):  # noqa: F811
    return {f["name"]: f for f in api("GET", f"sobjects/{sobject}/describe/").json()["fields"]}


def grant(api, fields, *, edit=True, name="Ledgerlink_Integration"):  # noqa: F811
    answer = api("POST", "sobjects/PermissionSet/", {"Name": name, "Label": "Ledgerlink Integration"})
    assert answer.status_code == 201, answer.content
    ps = answer.json()["id"]
    for full_name in fields:
        sobject = full_name.split(".")[0]
        answer = api("POST", "sobjects/FieldPermissions/", {"ParentId": ps, "SobjectType": sobject, "Field": full_name,
                                                            "PermissionsRead": True, "PermissionsEdit": edit})
        assert answer.status_code == 201, answer.content
    answer = api("POST", "sobjects/PermissionSetAssignment/", {"AssigneeId": integration_user().sf_id,
                                                               "PermissionSetId": ps})
    assert answer.status_code == 201, answer.content
    return ps


def test_a_fresh_org_has_no_custom_fields_and_refuses_writes_to_them(fresh):
    assert "FreshBooks_Invoice_Id__c" not in describe_fields(fresh, "Opportunity")
    assert "FreshBooks_Client_Id__c" not in describe_fields(fresh, "Account")
    account = create(fresh, "Account", Name="Acme")
    answer = fresh("PATCH", f"sobjects/Account/{account}", {"FreshBooks_Client_Id__c": "42"})
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_FIELD"
    answer = fresh("GET", "query/?q=SELECT+Id,FreshBooks_Client_Id__c+FROM+Account")
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_FIELD"
    tooling = fresh("GET", "tooling/query/?q=SELECT+Id,DeveloperName,TableEnumOrId+FROM+CustomField").json()
    assert tooling["records"] == []


def test_the_installed_org_keeps_its_custom_fields(api):  # noqa: F811
    fields = describe_fields(api, "Account")
    assert fields["FreshBooks_Client_Id__c"]["updateable"] and fields["FreshBooks_Client_Id__c"]["externalId"]
    tooling = api("GET", "tooling/query/?q=SELECT+DeveloperName+FROM+CustomField+WHERE+TableEnumOrId='Opportunity'")
    assert "FreshBooks_Invoice_Id" in {r["DeveloperName"] for r in tooling.json()["records"]}


def test_a_created_field_is_invisible_until_a_permission_set_grants_it(fresh):
    answer = field_create(fresh, "Opportunity.FreshBooks_Invoice_Id__c", TEXT_50)
    assert answer.status_code == 201 and answer.json()["id"].startswith("00N") and answer.json()["success"]
    # It exists (Tooling API) but the integration user has no field access yet.
    rows = fresh("GET", "tooling/query/?q=SELECT+Id,DeveloperName,TableEnumOrId+FROM+CustomField").json()["records"]
    assert [(r["TableEnumOrId"], r["DeveloperName"]) for r in rows] == [("Opportunity", "FreshBooks_Invoice_Id")]
    assert "FreshBooks_Invoice_Id__c" not in describe_fields(fresh, "Opportunity")
    opp = create(fresh, "Opportunity", Name="Deal", StageName="Prospecting", CloseDate="2026-12-31")
    answer = fresh("PATCH", f"sobjects/Opportunity/{opp}", {"FreshBooks_Invoice_Id__c": "7"})
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_FIELD"

    grant(fresh, ["Opportunity.FreshBooks_Invoice_Id__c"], edit=False)
    field = describe_fields(fresh, "Opportunity")["FreshBooks_Invoice_Id__c"]
    assert field["type"] == "string" and field["length"] == 50 and field["custom"]
    assert not field["createable"] and not field["updateable"]
    answer = fresh("PATCH", f"sobjects/Opportunity/{opp}", {"FreshBooks_Invoice_Id__c": "7"})
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_read_and_edit_make_the_field_writable_and_queryable(fresh):
    assert field_create(fresh, "Opportunity.Amount_Paid__c", {"type": "Currency", "label": "Amount Paid",
                                                               "precision": 16, "scale": 2}).status_code == 201
    grant(fresh, ["Opportunity.Amount_Paid__c"])
    field = describe_fields(fresh, "Opportunity")["Amount_Paid__c"]
    assert field["updateable"] and (field["precision"], field["scale"]) == (16, 2)
    opp = create(fresh, "Opportunity", Name="Deal", StageName="Prospecting", CloseDate="2026-12-31")
    assert fresh("PATCH", f"sobjects/Opportunity/{opp}", {"Amount_Paid__c": 12.5}).status_code == 204
    rows = fresh("GET", f"query/?q=SELECT+Amount_Paid__c+FROM+Opportunity+WHERE+Id='{opp}'").json()["records"]
    assert rows[0]["Amount_Paid__c"] == 12.5


def test_an_existing_field_is_refused_with_duplicate_developer_name(api, fresh):  # noqa: F811
    assert field_create(fresh, "Opportunity.FreshBooks_Invoice_Id__c", TEXT_50).status_code == 201
    answer = field_create(fresh, "Opportunity.freshbooks_invoice_id__c", TEXT_50)
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    sim.org_configure(custom_fields_installed=True)  # the org's own fields count too
    answer = field_create(fresh, "Account.FreshBooks_Client_Id__c", TEXT_50)
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


@pytest.mark.parametrize("full_name, metadata", [
    ("Opportunity.Bad", TEXT_50),  # no __c
    ("Opportunity.Two__Underscores__c", TEXT_50),
    ("Nothing.Field__c", TEXT_50),
    ("Opportunity.Field__c", {"type": "Text", "label": "No length"}),
    ("Opportunity.Field__c", {"type": "Text", "label": "Too long", "length": 256}),
    ("Opportunity.Field__c", {"type": "Currency", "label": "Scale", "precision": 4, "scale": 5}),
    ("Opportunity.Field__c", {"type": "Currency", "label": "Precision", "precision": 19, "scale": 2}),
    ("Opportunity.Field__c", {"type": "Money", "label": "Unknown type"}),
    ("Opportunity.Field__c", {"type": "Picklist", "label": "No values"}),
    ("Opportunity.Field__c", {"type": "Date", "label": "Unique date", "unique": True}),
    ("Opportunity.Field__c", {"type": "Text", "length": 10}),  # no label
])
def test_invalid_custom_fields_are_refused(fresh, full_name, metadata):
    answer = field_create(fresh, full_name, metadata)
    assert answer.status_code == 400, answer.content
    assert answer.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert fresh("GET", "tooling/query/?q=SELECT+Id+FROM+CustomField").json()["records"] == []


def test_field_permissions_are_validated(fresh):
    ps = fresh("POST", "sobjects/PermissionSet/", {"Name": "P1", "Label": "P1"}).json()["id"]
    again = fresh("POST", "sobjects/PermissionSet/", {"Name": "p1", "Label": "P1"})
    assert again.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    unknown = fresh("POST", "sobjects/FieldPermissions/", {"ParentId": ps, "SobjectType": "Opportunity",
                                                           "Field": "Opportunity.Nope__c", "PermissionsRead": True})
    assert unknown.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    field_create(fresh, "Opportunity.FreshBooks_Invoice_Id__c", TEXT_50)
    body = {"ParentId": ps, "SobjectType": "Opportunity", "Field": "Opportunity.FreshBooks_Invoice_Id__c"}
    edit_only = fresh("POST", "sobjects/FieldPermissions/", {**body, "PermissionsEdit": True})
    assert edit_only.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert fresh("POST", "sobjects/FieldPermissions/", {**body, "PermissionsRead": True}).status_code == 201
    twice = fresh("POST", "sobjects/FieldPermissions/", {**body, "PermissionsRead": True})
    assert twice.json()[0]["errorCode"] == "DUPLICATE_VALUE"


def test_metadata_is_read_one_row_at_a_time(fresh):
    field_create(fresh, "Opportunity.A__c", {"type": "Date", "label": "A"})
    field_create(fresh, "Opportunity.B__c", {"type": "Date", "label": "B"})
    many = fresh("GET", "tooling/query/?q=SELECT+Id,Metadata+FROM+CustomField")
    assert many.status_code == 400 and many.json()[0]["errorCode"] == "MALFORMED_QUERY"
    one = fresh("GET", "tooling/query/?q=SELECT+FullName,Metadata+FROM+CustomField+WHERE+DeveloperName='B'").json()
    assert one["records"][0]["FullName"] == "Opportunity.B__c" and one["records"][0]["Metadata"]["type"] == "Date"


def test_the_index_page_lists_created_fields(fresh, client):
    field_create(fresh, "Opportunity.Amount_Paid__c", {"type": "Currency", "label": "Amount Paid", "precision": 16,
                                                       "scale": 2})
    page = client.get("/sandbox/salesforce/").content.decode()
    assert "Opportunity.Amount_Paid__c" in page and "currency(16, 2)" in page and "a fresh org" in page


def test_change_event_schemas_follow_the_org_fields(fresh):
    from integrations.sandbox.salesforce.pubsub.schemas import event_schema, schema_by_id

    before = event_schema("Opportunity")
    assert "Amount_Paid__c" not in before.schema_json  # a fresh org: none of our fields
    field_create(fresh, "Opportunity.Amount_Paid__c", {"type": "Currency", "label": "Amount Paid", "precision": 16,
                                                       "scale": 2})
    after = event_schema("Opportunity")
    assert after.schema_id != before.schema_id and after.slots[-1].name == "Amount_Paid__c"
    assert schema_by_id(before.schema_id) is before  # events written before keep their schema


def test_describe_is_modified_once_a_field_is_created_or_granted(fresh):
    """If-Modified-Since: a client caching describe must see a new field (a 304 here would hide
    the field Prepare just created)."""
    from datetime import timedelta
    from email.utils import format_datetime

    from django.utils import timezone

    from integrations.sandbox.salesforce.models import SfCustomField

    cached_at = timezone.now() + timedelta(seconds=30)  # a describe cached after the org was seeded
    since = format_datetime(cached_at, usegmt=True)
    assert fresh("GET", "sobjects/Opportunity/describe/", HTTP_IF_MODIFIED_SINCE=since).status_code == 304
    assert field_create(fresh, "Opportunity.FreshBooks_Invoice_Id__c", TEXT_50).status_code == 201
    SfCustomField.objects.update(created_at=cached_at + timedelta(seconds=30))  # created after that describe
    assert fresh("GET", "sobjects/Opportunity/describe/", HTTP_IF_MODIFIED_SINCE=since).status_code == 200
    later = format_datetime(cached_at + timedelta(minutes=2), usegmt=True)
    assert fresh("GET", "sobjects/Opportunity/describe/", HTTP_IF_MODIFIED_SINCE=later).status_code == 304

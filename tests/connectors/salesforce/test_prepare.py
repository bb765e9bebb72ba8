"""Prepare Salesforce against the simulator over HTTP: a dry run lists exactly what is
missing, applying creates the fields and the permission set and assigns it, an existing
field is never touched (a different type is reported), and a second run has nothing to do."""
from __future__ import annotations

import pytest

from integrations.connectors.salesforce.custom_fields import CUSTOM_FIELDS, PERMISSION_SET_NAME
from integrations.connectors.salesforce.prepare import salesforce_prepare
from integrations.errors import FatalError
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfCustomField, SfRecord

ALL = [spec.full_name for spec in CUSTOM_FIELDS]


@pytest.fixture
def fresh_org(sf_app):
    sim.org_configure(custom_fields_installed=False)


def names(specs):
    return [spec.full_name for spec in specs]


def test_dry_run_lists_every_missing_field_and_changes_nothing(fresh_org, sf_connection):
    plan = salesforce_prepare(sf_connection, dry_run=True)
    assert names(plan.create) == ALL and names(plan.grant) == ALL and not plan.mismatches
    steps = plan.steps()
    assert steps[0] == 'Create field Account.FreshBooks_Client_Id__c (Text(50), external id, unique, ' \
                       'label "FreshBooks Client Id")'
    assert f"Create permission set {PERMISSION_SET_NAME} (\"Ledgerlink Integration\")" in steps
    assert steps[-1].startswith(f"Assign permission set {PERMISSION_SET_NAME} to the integration user ")
    assert len(steps) == 2 * len(ALL) + 2
    assert not SfCustomField.objects.exists() and not SfRecord.objects.filter(sobject="PermissionSet").exists()


def test_apply_creates_fields_and_access_then_the_flows_can_write(fresh_org, sf_connection, sf):
    account = sf.create("Account", {"Name": "Acme"})
    with pytest.raises(FatalError) as refused:  # before: the field does not exist for the integration user
        sf.update("Account", account, {"FreshBooks_Client_Id__c": "42"})
    assert refused.value.detail["errorCode"] == "INVALID_FIELD"

    plan = salesforce_prepare(sf_connection, dry_run=False)
    assert not plan.errors, plan.errors
    assert len(plan.done) == 2 * len(ALL) + 2
    assert sorted(f"{c.sobject}.{c.name}" for c in SfCustomField.objects.all()) == sorted(ALL)

    sf.update("Account", account, {"FreshBooks_Client_Id__c": "42"})
    assert sf.get_by_external_id("Account", "FreshBooks_Client_Id__c", "42")["Id"] == account
    opp = sf.create("Opportunity", {"Name": "Deal", "StageName": "Closed Won", "CloseDate": "2026-12-01",
                                    "AccountId": account})
    sf.update("Opportunity", opp, {"Payment_Status__c": "Partial", "Amount_Paid__c": 10.5,
                                   "Date_Paid__c": "2026-12-02", "FreshBooks_Invoice_Id__c": "9",
                                   "FreshBooks_Invoice_Number__c": "0009"})
    described = {f["name"]: f for f in sf.describe("Opportunity")["fields"]}
    assert described["Payment_Status__c"]["type"] == "picklist" and described["Amount_Paid__c"]["scale"] == 2

    again = salesforce_prepare(sf_connection, dry_run=True)
    assert again.nothing_to_do and names(again.ready) == ALL and again.steps() == []


def test_existing_fields_are_never_changed_and_a_different_type_is_reported(fresh_org, sf_connection, sf):
    # An admin made Payment_Status__c a text field and Date_Paid__c already exists but is not granted.
    sf.tooling_create("CustomField", {"FullName": "Opportunity.Payment_Status__c",
                                      "Metadata": {"type": "Text", "label": "Payment Status", "length": 20}})
    sf.tooling_create("CustomField", {"FullName": "Opportunity.Date_Paid__c",
                                      "Metadata": {"type": "Date", "label": "Paid on"}})
    ps = sf.create("PermissionSet", {"Name": "Admins_Own", "Label": "Admins own"})
    sf.create("FieldPermissions", {"ParentId": ps, "SobjectType": "Opportunity", "PermissionsRead": True,
                                   "PermissionsEdit": True, "Field": "Opportunity.Payment_Status__c"})
    identity = sf.identity()
    sf.create("PermissionSetAssignment", {"AssigneeId": identity["user_id"], "PermissionSetId": ps})
    before = {c.developer_name: dict(c.metadata) for c in SfCustomField.objects.all()}

    plan = salesforce_prepare(sf_connection, dry_run=True)
    assert [(m.spec.name, m.reason) for m in plan.mismatches] == [
        ("Payment_Status__c", "is string, the flows need picklist (Picklist)")]
    assert "Opportunity.Date_Paid__c" not in names(plan.create) and "Opportunity.Date_Paid__c" in names(plan.grant)
    assert "Opportunity.Payment_Status__c" not in names(plan.create) + names(plan.grant)

    applied = salesforce_prepare(sf_connection, dry_run=False)
    assert not applied.errors, applied.errors
    after = {c.developer_name: dict(c.metadata) for c in SfCustomField.objects.all()}
    assert {k: after[k] for k in before} == before  # untouched
    assert after["Date_Paid"]["label"] == "Paid on"
    described = {f["name"]: f for f in sf.describe("Opportunity")["fields"]}
    assert described["Payment_Status__c"]["type"] == "string" and described["Date_Paid__c"]["updateable"]


def test_an_org_with_our_fields_needs_nothing(sf_connection):
    plan = salesforce_prepare(sf_connection, dry_run=True)
    assert plan.nothing_to_do and names(plan.ready) == ALL


def test_the_admin_action_shows_the_dry_run_then_creates_on_confirm(fresh_org, sf_connection, admin_client):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.urls import reverse

    chosen = admin_client.post(reverse("admin:integrations_connection_changelist"),
                               {"action": "prepare", ACTION_CHECKBOX_NAME: [sf_connection.pk]})
    page_url = reverse("integrations:salesforce-prepare", args=[sf_connection.pk])
    assert chosen.status_code == 302 and chosen["Location"] == page_url
    dry = admin_client.get(page_url).content.decode()
    assert "This is a dry run" in dry and "Create field Opportunity.Payment_Status__c (Picklist: Unpaid, Partial, Paid" in dry
    assert not SfCustomField.objects.exists()
    done = admin_client.post(page_url).content.decode()
    assert "Created field Opportunity.Date_Paid__c" in done and f"Assigned {PERMISSION_SET_NAME}" in done
    assert SfCustomField.objects.count() == len(ALL)
    assert "Nothing to do" in admin_client.get(page_url).content.decode()


def test_the_command_is_a_dry_run_unless_applied(fresh_org, sf_connection):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("salesforce_prepare", sf_connection.name, stdout=out)
    assert "will: Create field Account.FreshBooks_Client_Id__c" in out.getvalue() and "Dry run" in out.getvalue()
    assert not SfCustomField.objects.exists()
    out = StringIO()
    call_command("salesforce_prepare", sf_connection.name, "--apply", stdout=out)
    assert "done: Created field Opportunity.Amount_Paid__c" in out.getvalue()
    assert SfCustomField.objects.count() == len(ALL)

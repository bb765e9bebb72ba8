"""Pre-flight checks against the simulators over HTTP (issue 15, item 1): each check fails for the
reason it names and passes once fixed; a flow with a failing blocking check is not enabled unless
someone allowed to gives a reason (recorded); and the going-live path end to end: a fresh org
without our fields fails *Check*, *Prepare* creates them, *Check* passes, a won deal is invoiced."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from integrations.connectors.freshbooks.services import freshbooks_webhook_url
from integrations.connectors.salesforce.custom_fields import CUSTOM_FIELDS
from integrations.connectors.salesforce.prepare import salesforce_prepare
from integrations.flows.forms import settings_form_data
from integrations.models import Flow, SyncItem
from integrations.operations.flow_enabling import FlowEnableRefused, flow_enable
from integrations.operations.preflight import connection_check, flow_check
from integrations.sandbox.freshbooks.models import SimCallback
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfRecord
from mappings.models import FieldMapping, MappingSet, ValueTable, ValueTableEntry
from tests.factories import ConnectionFactory
from tests.connectors.infor.conftest import ionapi_text, m3_connection, sim_app  # noqa: F401
from tests.sandbox.salesforce.pubsub_harness import pubsub  # noqa: F401

OPP_FLOW, PAY_FLOW = "sf-opportunity-to-fb-invoice", "fb-payment-to-sf-opportunity"


def by_name(results) -> dict:
    return {r.name: r for r in results}


def failing(results) -> dict:
    return {r.name: r for r in results if r.status == "fail"}


@pytest.fixture
def no_pubsub(sf_connection):
    """Pub/Sub at a closed local port: the CDC check answers at once (UNAVAILABLE, not blocking)."""
    sf_connection.settings = {**sf_connection.settings, "pubsub_endpoint": "127.0.0.1:9", "pubsub_tls": False}
    sf_connection.save()
    return sf_connection


@pytest.fixture
def fresh_org(sf_app):
    sim.org_configure(custom_fields_installed=False)


def granted(connection, scopes: str):
    """What FreshBooks' token answer said was granted, as the code exchange records it."""
    connection.settings = {**connection.settings, "token_scope": scopes}
    connection.save()


# -- Salesforce ---------------------------------------------------------------------------------------------
def test_a_missing_field_fails_naming_it_and_the_fix_then_passes_after_prepare(fresh_org, no_pubsub, world):
    results = flow_check(flow=world.flow(PAY_FLOW))
    failed = failing(results)
    for name in ("Payment_Status__c", "Amount_Paid__c", "Date_Paid__c"):
        check = failed[f"Field Opportunity.{name}"]
        assert check.blocking and check.sentence.startswith(f"Opportunity.{name} does not exist (or the integration user cannot see it).")
        assert "Prepare Salesforce" in check.fix
    salesforce_prepare(no_pubsub, dry_run=False)
    assert not [n for n in failing(flow_check(flow=world.flow(PAY_FLOW))) if n.startswith("Field")]


def test_a_read_only_field_fails_until_the_permission_set_grants_edit(fresh_org, no_pubsub, world):
    salesforce_prepare(no_pubsub, dry_run=False)
    grant = next(r for r in SfRecord.objects.filter(sobject="FieldPermissions")
                 if r.fields.get("Field") == "Opportunity.Amount_Paid__c")
    grant.fields = {**grant.fields, "PermissionsEdit": False}  # an admin takes Edit away in Setup
    grant.save()
    check = failing(flow_check(flow=world.flow(PAY_FLOW)))["Field Opportunity.Amount_Paid__c"]
    assert "read-only for the integration user" in check.sentence and check.blocking
    grant.fields = {**grant.fields, "PermissionsEdit": True}
    grant.save()
    assert "Field Opportunity.Amount_Paid__c" not in failing(flow_check(flow=world.flow(PAY_FLOW)))


def test_pubsub_unreachable_is_a_failure_that_does_not_block(no_pubsub, world):
    check = by_name(flow_check(flow=world.flow(OPP_FLOW)))["Change Data Capture: Opportunity"]
    assert check.status == "fail" and not check.blocking and "UNAVAILABLE" in check.sentence


def test_change_data_capture_not_enabled_fails_then_passes_once_enabled(pubsub, world):  # noqa: F811
    connection = world.sf_connection
    connection.settings = {**connection.settings, "pubsub_endpoint": pubsub.server.address, "pubsub_tls": False}
    connection.save()
    sim.org_configure(cdc_entities="Account,Contact")  # the admin selected these in Setup, not Opportunity
    check = failing(flow_check(flow=world.flow(OPP_FLOW)))["Change Data Capture: Opportunity"]
    assert "/data/OpportunityChangeEvent is not available (NOT_FOUND" in check.sentence and check.blocking
    assert "Change Data Capture" in check.fix
    sim.org_configure(cdc_entities="Account,Contact,Opportunity")
    check = by_name(flow_check(flow=world.flow(OPP_FLOW)))["Change Data Capture: Opportunity"]
    assert check.status == "pass", check.sentence


# -- FreshBooks ---------------------------------------------------------------------------------------------
def test_an_ungranted_scope_fails_naming_it_then_passes(no_pubsub, world):
    granted(world.fb_connection, "user:profile:read user:invoices:read")
    check = failing(flow_check(flow=world.flow(PAY_FLOW)))["Granted scopes"]
    assert check.sentence == f"Not granted: user:payments:read (flow {PAY_FLOW})." and check.blocking
    granted(world.fb_connection, "user:profile:read user:invoices:read user:payments:read")
    assert by_name(flow_check(flow=world.flow(PAY_FLOW)))["Granted scopes"].status == "pass"


def test_an_unverified_callback_fails_then_passes_once_verified(no_pubsub, world, settings):
    settings.LEDGERLINK_PUBLIC_URL = "https://ledgerlink.example"
    granted(world.fb_connection, "user:invoices:read user:payments:read")
    assert "No callback for payment events" in failing(flow_check(flow=world.flow(PAY_FLOW)))["Webhook: payment"].sentence
    callback = SimCallback.objects.create(account=world.fb_sandbox.account, event="payment", verifier="v-1",
                                          uri=freshbooks_webhook_url(connection=world.fb_connection))
    assert "registered but not verified" in failing(flow_check(flow=world.flow(PAY_FLOW)))["Webhook: payment"].sentence
    callback.verified = True
    callback.save()
    results = by_name(flow_check(flow=world.flow(PAY_FLOW)))
    assert results["Webhook: payment"].status == "pass" and results["Public URL"].status == "pass"


def test_a_plain_http_public_url_warns_in_development_and_fails_in_production(no_pubsub, world, settings):
    settings.LEDGERLINK_PUBLIC_URL = "http://ledgerlink.example"
    settings.DEBUG = True
    assert by_name(flow_check(flow=world.flow(PAY_FLOW)))["Public URL"].status == "warning"
    settings.DEBUG = False
    assert failing(flow_check(flow=world.flow(PAY_FLOW)))["Public URL"].blocking


# -- Mappings -------------------------------------------------------------------------------------------
def test_an_unpublished_mapping_set_fails_then_passes_once_published(no_pubsub, world):
    name = "freshbooks-invoice-to-salesforce-opportunity"
    MappingSet.objects.filter(name=name).update(status=MappingSet.Status.DRAFT)
    check = failing(flow_check(flow=world.flow("fb-invoice-to-sf-opportunity")))[f"Mapping set {name}"]
    assert "v1 (draft), which is not published" in check.sentence and check.blocking
    MappingSet.objects.filter(name=name).update(status=MappingSet.Status.PUBLISHED)
    assert by_name(flow_check(flow=world.flow("fb-invoice-to-sf-opportunity")))[f"Mapping set {name}"].status == "pass"


def test_a_mapping_target_field_the_target_does_not_have_fails_naming_it(expense_flow):
    name = "freshbooks-expense-to-infor-gl-journal"
    mapping_set = MappingSet.objects.get(name=name, status=MappingSet.Status.PUBLISHED)
    bogus = FieldMapping.objects.create(mapping_set=mapping_set, target_field="KEY9", source_path="id")
    check = failing(flow_check(flow=expense_flow))[f"Mapping set {name}"]
    assert "but KEY9 is not a field of infor GLS840MI" in check.sentence and check.blocking
    bogus.delete()
    assert by_name(flow_check(flow=expense_flow))[f"Mapping set {name}"].status == "pass"


# -- Infor M3 ---------------------------------------------------------------------------------------------
@pytest.fixture
def expense_flow(world, m3_connection):  # noqa: F811
    return Flow.objects.create(name="expenses-to-m3", kind="freshbooks-expense-to-infor-journal",
                               source_connection=world.fb_connection, source_object="expense",
                               target_connection=m3_connection, target_object="journal", enabled=False,
                               trigger=Flow.Trigger.POLL, settings={"offset_account": "2001"})


def test_a_missing_m3_code_fails_naming_each_one_and_where_it_comes_from(expense_flow, world):
    table = ValueTable.objects.get(name="expense-category-to-gl-account")
    ValueTableEntry.objects.create(table=table, source_value="Yachts", target_value="7777")
    results = flow_check(flow=expense_flow)
    assert by_name(results)["Token, company and division"].status == "pass"
    assert by_name(results)["M3 GL interface (INTN, GLS850)"].status == "pass"
    check = failing(results)["M3 GL accounts (AIT1)"]
    assert check.sentence == ("Not in M3: 2001 (from flow expenses-to-m3, setting offset_account; it does not exist in "
                              "the Infor chart of accounts); 7777 (from value table expense-category-to-gl-account; "
                              "it does not exist in the Infor chart of accounts).")
    ValueTableEntry.objects.filter(target_value="7777").update(target_value="6990")
    expense_flow.settings = {"offset_account": "2000"}
    expense_flow.save()
    assert by_name(flow_check(flow=expense_flow))["M3 GL accounts (AIT1)"].status == "pass"


def test_an_item_number_m3_lacks_fails_for_the_order_to_cash_chain(world, m3_connection):  # noqa: F811
    shop = ConnectionFactory(system="shopify", name="Shop")
    flow = Flow.objects.create(name="orders", kind="shop-order-to-infor-order", source_connection=shop,
                               source_object="order", target_connection=world.fb_connection, target_object="invoice",
                               enabled=False, settings={"infor_connection": m3_connection.name})
    table = ValueTable.objects.get(name="freshbooks-item-to-infor-item")
    entry = ValueTableEntry.objects.create(table=table, source_value="Gadget", target_value="GADGET-X")
    results = flow_check(flow=flow)
    check = failing(results)["M3 item numbers (ITNO)"]
    assert check.sentence == "Not in M3: GADGET-X (from value table freshbooks-item-to-infor-item)."
    assert by_name(results)["M3 customer groups (CUCL)"].status == "pass"
    assert by_name(results)["M3 country codes (CSCD)"].status == "pass"
    assert by_name(results)["M3 customer template (CUTM)"].status == "pass"
    assert by_name(results)["M3 customer order type (ORTP)"].status == "warning"  # not set: M3's default
    entry.target_value = "WIDGET-L"
    entry.save()
    assert by_name(flow_check(flow=flow))["M3 item numbers (ITNO)"].status == "pass"


def test_an_m3_setup_value_that_does_not_exist_fails(expense_flow, m3_connection):  # noqa: F811
    m3_connection.settings = {**m3_connection.settings, "m3_gl_interface": "NOPE"}
    m3_connection.save()
    check = failing(flow_check(flow=expense_flow))["M3 GL interface (INTN, GLS850)"]
    assert "NOPE (setting m3_gl_interface" in check.sentence and check.blocking


def test_a_division_m3_does_not_have_fails_the_sign_in_check(expense_flow, m3_connection):  # noqa: F811
    m3_connection.settings = {**m3_connection.settings, "m3_divi": "ZZZ"}
    m3_connection.save()
    check = failing(flow_check(flow=expense_flow))["Token, company and division"]
    assert "Division ZZZ does not exist" in check.sentence and check.fix_url.endswith(f"/{m3_connection.pk}/change/")


# -- Enabling ----------------------------------------------------------------------------------------------
def test_enabling_with_a_blocking_failure_is_refused_unless_overridden_with_a_reason(fresh_org, no_pubsub, world):
    flow = world.flow(PAY_FLOW)
    Flow.objects.filter(pk=flow.pk).update(enabled=False)
    flow.refresh_from_db()
    with pytest.raises(FlowEnableRefused, match="cannot be enabled while these checks fail"):
        flow_enable(flow=flow)
    clerk = User.objects.create_user("clerk", is_staff=True)
    with pytest.raises(FlowEnableRefused, match="needs the “override checks” permission"):
        flow_enable(flow=flow, user=clerk, override_reason="fields come tomorrow")
    flow.refresh_from_db()
    assert not flow.enabled and not flow.check_overrides.exists()
    boss = User.objects.create_superuser("boss", "b@example.com", "pw")
    record = flow_enable(flow=flow, user=boss, override_reason="fields come tomorrow")
    flow.refresh_from_db()
    assert flow.enabled and record.username == "boss" and record.reason == "fields come tomorrow"
    assert "Field Opportunity.Amount_Paid__c" in [c["name"] for c in record.failed_checks]


def test_the_admin_form_refuses_to_enable_and_records_an_override(fresh_org, no_pubsub, world, admin_client):
    flow = world.flow(PAY_FLOW)
    Flow.objects.filter(pk=flow.pk).update(enabled=False)
    url = reverse("admin:integrations_flow_change", args=[flow.pk])
    data = {"name": flow.name, "title": flow.title, "kind": flow.kind, "source_connection": flow.source_connection_id,
            "source_object": flow.source_object, "target_connection": flow.target_connection_id,
            "target_object": flow.target_object, "trigger": flow.trigger, "poll_interval_minutes": 0,
            "mapping_set": flow.mapping_set_id or "", "conflict_policy": flow.conflict_policy,
            **settings_form_data(flow.kind, flow.settings), "max_attempts": "", "enabled": "on"}
    refused = admin_client.post(url, data)
    assert refused.status_code == 200 and "cannot be enabled while these checks fail" in refused.content.decode()
    assert not Flow.objects.get(pk=flow.pk).enabled
    done = admin_client.post(url, {**data, "override_reason": "go-live rehearsal"})
    assert done.status_code == 302 and Flow.objects.get(pk=flow.pk).enabled
    assert "go-live rehearsal" in admin_client.get(url).content.decode()


def test_the_command_prints_each_check_and_exits_1_on_a_failure(fresh_org, no_pubsub, world):
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("connection_check", no_pubsub.name, "--json", stdout=out, stderr=StringIO())
    assert exited.value.code == 1
    report = json.loads(out.getvalue())
    assert {"status": "fail", "name": "Field Opportunity.Date_Paid__c"}.items() <= \
        next(r for r in report[0]["results"] if r["name"] == "Field Opportunity.Date_Paid__c").items()
    out = StringIO()  # one connection, for one flow's needs: the Opportunity flow writes no payment fields
    with pytest.raises(SystemExit):
        call_command("connection_check", no_pubsub.name, "--flow", OPP_FLOW, stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert f"Connection {no_pubsub.name} for flow {OPP_FLOW}" in text
    assert "FAIL Field Opportunity.FreshBooks_Invoice_Id__c" in text and "Date_Paid__c" not in text
    assert "fix: Run “Prepare Salesforce”" in text


# -- Done when: check → prepare → check → a won deal becomes an invoice --------------------------------
def test_going_live_check_prepare_check_then_closed_won_makes_an_invoice(fresh_org, pubsub, world,  # noqa: F811
                                                                        admin_client):
    connection, flow = world.sf_connection, world.flow(OPP_FLOW)
    connection.settings = {**connection.settings, "pubsub_endpoint": pubsub.server.address, "pubsub_tls": False}
    connection.save()

    def check_page() -> str:
        page = admin_client.post(reverse("admin:integrations_connection_changelist"),
                                 {"action": "check_connections", "_selected_action": [connection.pk]})
        assert page.status_code == 200
        return page.content.decode()

    before = check_page()
    for spec in CUSTOM_FIELDS:  # every missing field named, with the fix and a link to it
        assert f"{spec.sobject}.{spec.name} does not exist (or the integration user cannot see it)." in before
    assert "Prepare Salesforce" in before and reverse("integrations:salesforce-prepare", args=[connection.pk]) in before

    dry_run = admin_client.get(reverse("integrations:salesforce-prepare", args=[connection.pk])).content.decode()
    assert "FreshBooks_Invoice_Id__c" in dry_run
    assert not SfRecord.objects.filter(sobject="PermissionSet").exists()  # the dry run creates nothing
    applied = admin_client.post(reverse("integrations:salesforce-prepare", args=[connection.pk]))
    assert applied.status_code == 200 and SfRecord.objects.filter(sobject="PermissionSet").exists()

    after = check_page()
    assert "✓ No check fails." in after and "does not exist" not in after
    assert [r for r in connection_check(connection=connection) if r.status == "fail"] == []

    opportunity = world.won_opportunity()
    item = world.run(flow.name, "Opportunity", opportunity)
    assert item.status == SyncItem.Status.SUCCEEDED, item.last_error
    invoice_id = world.sf_record(opportunity)["FreshBooks_Invoice_Id__c"]
    assert invoice_id and [i["id"] for i in world.fb_objects("invoice")] == [int(invoice_id)]

"""The generic record-sync flow (kind record_sync) through the two demo flows configured only as
data, over real HTTP against the simulators: FreshBooks invoice → Salesforce FreshBooks_Invoice__c
and Salesforce activated Order → FreshBooks invoice (invoice number written back)."""
from __future__ import annotations

import json
from functools import partial
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from integrations.flows.record_sync.handler import RecordSyncFlow
from integrations.models import Binding, DescribedObject, Flow, SyncItem
from integrations.operations.backfill import flow_backfill
from integrations.operations.replay import sync_item_replay
from integrations.sync.engine import sync_item_process
from integrations.sync.sweeper import sync_items_dispatch_due
from mappings.models import FieldMapping, MappingSet
from mappings.services import mapping_set_draft_create, mapping_set_publish
from monitoring.models import ApiCall
from tests.config.test_make_run import db_rows, free_port, sf_records
from tests.cluster import wait_until
from tests.flows.crash import run_killed_after_create
from tests.flows.fresh_install import FreshInstall

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
INVOICE_FLOW, ORDER_FLOW = "fb-invoice-to-sf-invoice-record", "sf-order-to-fb-invoice"


def linked_client(world, name="Globex Corporation") -> tuple[str, int]:
    """An Account and its FreshBooks client, linked as flow 1 links them."""
    account = world.sf_create("Account", {"Name": name, "BillingCity": "Springfield"})
    item = world.run("sf-account-to-fb-client", "Account", account)
    assert item.status == S.SUCCEEDED, item.last_error
    return account, int(item.target_external_id)


def fb_invoice(world, client: int, amount="250.00") -> int:
    return world.fb_create("invoice", {"customerid": client, "create_date": "2026-07-01", "currency_code": "USD",
                                       "lines": [{"name": "Consulting", "qty": "1",
                                                  "unit_cost": {"amount": amount, "code": "USD"}}]})


def activated_order(world, account: str, lines=((150, 2), (4800, 1))) -> str:
    order = world.sf_create("Order", {"AccountId": account, "Status": "Draft", "EffectiveDate": "2026-07-01",
                                      "Description": "Spring order"})
    for n, (price, qty) in enumerate(lines):
        world.sf_create("OrderItem", {"OrderId": order, "UnitPrice": price, "Quantity": qty,
                                      "Description": f"Product {n + 1}"})
    world.sf_update("Order", order, {"Status": "Activated"})
    return order


def invoice_records(world) -> list[dict]:
    return world.sf_records("FreshBooks_Invoice__c")


# -- FreshBooks invoice → Salesforce FreshBooks_Invoice__c ---------------------------------------------
def test_invoice_creates_then_updates_its_custom_record(world):
    account, client = linked_client(world)
    invoice = fb_invoice(world, client)
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.SUCCEEDED and item.result["action"] == "created", item.last_error
    [record] = invoice_records(world)
    number = world.fb_objects("invoice")[0]["invoice_number"]
    assert record["Name"] == number and record["Account__c"] == account
    assert record["Total__c"] == 250 and record["Outstanding__c"] == 250 and record["Currency__c"] == "USD"
    assert record["FreshBooks_Invoice_Id__c"] == str(invoice) and record["Link__c"].endswith(f"/invoice/{invoice}")

    world.pay(invoice, "100.00")  # a partial payment changes status and outstanding
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.SUCCEEDED and item.result["action"] == "updated", item.last_error
    [record] = invoice_records(world)
    assert record["Outstanding__c"] == 150 and record["Status__c"] == "partial"


def test_invoice_matches_a_record_someone_made_by_number_and_account(world):
    account, client = linked_client(world)
    invoice = fb_invoice(world, client)
    number = world.fb_objects("invoice")[0]["invoice_number"]
    made = world.sf_create("FreshBooks_Invoice__c", {"Name": number, "Account__c": account})
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.SUCCEEDED and item.result["action"] == "matched" and item.target_external_id == made
    assert len(invoice_records(world)) == 1 and invoice_records(world)[0]["Total__c"] == 250


def test_two_candidates_end_as_a_dead_letter_asking_a_person(world):
    account, client = linked_client(world)
    invoice = fb_invoice(world, client)
    number = world.fb_objects("invoice")[0]["invoice_number"]
    first = world.sf_create("FreshBooks_Invoice__c", {"Name": number, "Account__c": account})
    second = world.sf_create("FreshBooks_Invoice__c", {"Name": number, "Account__c": account})
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.DEAD and "a person must decide" in item.last_error
    assert first in item.last_error and second in item.last_error and len(invoice_records(world)) == 2


def test_an_unchanged_invoice_is_not_written_again(world):
    _, client = linked_client(world)
    invoice = fb_invoice(world, client)
    world.run(INVOICE_FLOW, "invoice", invoice)
    stamp = invoice_records(world)[0]["SystemModstamp"]
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.SUCCEEDED and item.result["action"] == "unchanged"
    assert invoice_records(world)[0]["SystemModstamp"] == stamp


def test_a_create_only_flow_leaves_an_existing_record_as_it_is_and_says_so(world):
    _, client = linked_client(world)
    invoice = fb_invoice(world, client)
    world.run(INVOICE_FLOW, "invoice", invoice)
    Flow.objects.filter(name=INVOICE_FLOW).update(settings={**world.flow(INVOICE_FLOW).settings, "policy": "create_only"})
    stamp = invoice_records(world)[0]["SystemModstamp"]
    world.pay(invoice, "100.00")  # the invoice changes; the flow only creates
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.SUCCEEDED and item.result["action"] == "unchanged", item.last_error
    assert "left as it is" in item.result["message"] and "create_only" in item.result["message"]
    [record] = invoice_records(world)
    assert record["SystemModstamp"] == stamp and record["Outstanding__c"] == 250


def test_an_invoice_of_a_client_without_account_is_skipped(world):
    client = world.fb_create("client", {"organization": "Shop customer", "email": "shop@example.test"})
    item = world.run(INVOICE_FLOW, "invoice", fb_invoice(world, client))
    assert item.status == S.SKIPPED and "linked to no Account" in item.last_error
    assert invoice_records(world) == []


def test_replay_after_a_mapping_fix(world):
    _, client = linked_client(world)
    published = MappingSet.objects.get(name="freshbooks-invoice-to-salesforce-freshbooks-invoice", status="published")
    broken = mapping_set_draft_create(mapping_set=published)
    FieldMapping.objects.filter(mapping_set=broken, target_field="Total__c").update(source_path="amount.nope",
                                                                                     required=True)
    mapping_set_publish(mapping_set=broken)
    invoice = fb_invoice(world, client)
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.DEAD and "Total is required" in item.last_error and invoice_records(world) == []
    fixed = mapping_set_draft_create(mapping_set=MappingSet.objects.get(pk=broken.pk))
    FieldMapping.objects.filter(mapping_set=fixed, target_field="Total__c").update(source_path="amount.amount")
    mapping_set_publish(mapping_set=fixed)
    item, _ = sync_item_replay(item=item)
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED, item.last_error
    assert invoice_records(world)[0]["Total__c"] == 250


def test_backfill_makes_each_record_once(world):
    _, client = linked_client(world)
    invoices = [fb_invoice(world, client, amount=f"{n}00.00") for n in (1, 2, 3)]
    flow_backfill(flow=world.flow(INVOICE_FLOW))
    assert sorted(r["FreshBooks_Invoice_Id__c"] for r in invoice_records(world)) == sorted(map(str, invoices))
    flow_backfill(flow=world.flow(INVOICE_FLOW))
    assert len(invoice_records(world)) == 3


# -- Salesforce activated Order → FreshBooks invoice -----------------------------------------------
def test_activated_order_becomes_an_invoice_and_its_number_is_written_back(world):
    account, client = linked_client(world)
    order = activated_order(world, account)
    item = world.run(ORDER_FLOW, "Order", order)
    assert item.status == S.SUCCEEDED and item.result["action"] == "created", item.last_error
    [invoice] = world.fb_objects("invoice")
    assert invoice["customerid"] == client and invoice["po_number"] == order
    assert [(line["name"], str(line["qty"])) for line in invoice["lines"]] == [("Product 1", "2"), ("Product 2", "1")]
    assert world.sf_record(order)["FreshBooks_Invoice_Number__c"] == invoice["invoice_number"]


def test_a_draft_order_is_skipped_by_the_filter(world):
    account, _ = linked_client(world)
    order = world.sf_create("Order", {"AccountId": account, "Status": "Draft", "EffectiveDate": "2026-07-01"})
    item = world.run(ORDER_FLOW, "Order", order)
    assert item.status == S.SKIPPED and "filter" in item.last_error and world.fb_objects("invoice") == []


def test_the_write_back_echo_sends_nothing(world):
    account, _ = linked_client(world)
    order = activated_order(world, account)
    world.run(ORDER_FLOW, "Order", order)
    updates = ApiCall.objects.filter(operation="invoices.update").count()
    item = world.run(ORDER_FLOW, "Order", order)  # the change event of our own write-back
    assert item.status == S.SUCCEEDED and item.result["action"] == "unchanged"
    assert ApiCall.objects.filter(operation="invoices.update").count() == updates
    assert len(world.fb_objects("invoice")) == 1


def test_an_order_edit_updates_the_invoice(world):
    account, _ = linked_client(world)
    order = activated_order(world, account)
    world.run(ORDER_FLOW, "Order", order)
    world.sf_update("Order", order, {"Description": "Spring order, revised"})
    item = world.run(ORDER_FLOW, "Order", order)
    assert item.status == S.SUCCEEDED and item.result["action"] == "updated", item.last_error
    assert world.fb_objects("invoice")[0]["description"] == "Spring order, revised"


def test_crash_between_remote_create_and_commit_makes_no_second_invoice(world, monkeypatch):
    account, _ = linked_client(world)
    order = activated_order(world, account)
    run_killed_after_create(world, monkeypatch, RecordSyncFlow, ORDER_FLOW, "Order", order)
    item = SyncItem.objects.get(source_id=order, flow__name=ORDER_FLOW)
    assert item.status == S.RUNNING and len(world.fb_objects("invoice")) == 1
    assert sync_items_dispatch_due(now=timezone.now() + timedelta(hours=2))["stale_recovered"] == 1
    SyncItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED and item.result["action"] == "matched", item.last_error
    assert len(world.fb_objects("invoice")) == 1
    assert ApiCall.objects.filter(operation="invoices.create", status_code=200).count() == 1
    assert world.sf_record(order)["FreshBooks_Invoice_Number__c"] == world.fb_objects("invoice")[0]["invoice_number"]


def test_order_backfill_invoices_only_activated_orders_once(world):
    account, _ = linked_client(world)
    orders = [activated_order(world, account, lines=((100 * n, 1),)) for n in (1, 2)]
    world.sf_create("Order", {"AccountId": account, "Status": "Draft", "EffectiveDate": "2026-07-01"})
    flow_backfill(flow=world.flow(ORDER_FLOW))
    flow_backfill(flow=world.flow(ORDER_FLOW))
    assert sorted(i["po_number"] for i in world.fb_objects("invoice")) == sorted(orders)
    assert Binding.objects.filter(object_type="invoice", entity__bindings__object_type="Order").count() == 2


def test_described_objects_reach_the_schema_provider(world):
    from mappings.schemas import schema_for

    out = StringIO()
    call_command("describe_objects", "--connection", world.sf_connection.name, "Order", "Pricebook2", "Ordre",
                 stdout=out)
    said = out.getvalue().splitlines()
    assert said[0].startswith("salesforce Order: ") and said[1].startswith("salesforce Pricebook2: ")
    assert said[2].startswith("salesforce has no object 'Ordre'. Known: ") and "FreshBooks_Invoice__c" in said[2]
    assert schema_for("salesforce", "Pricebook2").fields["IsStandard"].createable is False  # no shipped schema
    schema = schema_for("salesforce", "Order")
    assert schema.described and schema.fields["Status"].picklist == ("Draft", "Activated")
    assert schema.fields["FreshBooks_Invoice_Id__c"].external_id and not schema.fields["OrderNumber"].createable


# -- what a generic flow names must exist -------------------------------------------------------------
@pytest.fixture
def generic_post(admin_client, world):
    def post(**changes):
        data = {"name": "orders-generic", "title": "", "kind": "record_sync",
                "source_connection": world.sf_connection.pk, "source_object": "Order",
                "target_connection": world.fb_connection.pk, "target_object": "invoice", "trigger": "change_event",
                "poll_interval_minutes": 0, "conflict_policy": "field_owner", "max_attempts": "", **changes}
        return admin_client.post(reverse("admin:integrations_flow_add"), data)
    return post


def test_saving_a_flow_naming_an_unknown_object_is_refused_naming_what_exists(generic_post):
    page = generic_post(source_object="Ordre").content.decode()
    assert not Flow.objects.filter(name="orders-generic").exists()
    assert "salesforce has no object &#x27;Ordre&#x27;. Known: " in page and "FreshBooks_Invoice__c" in page
    page = generic_post(target_object="invoices").content.decode()
    assert "freshbooks has no object &#x27;invoices&#x27;. Known: client, expense, invoice, item, payment, tax." in page


def test_an_object_added_to_the_org_since_is_refused_until_described_from_the_admin(generic_post, admin_client, world):
    """Pricebook2 has no shipped schema and was never described here: the flow is refused, saying how to
    make it known; the connection's Describe objects page reads it from the org, and the flow saves."""
    refused = generic_post(source_object="Pricebook2").content.decode()
    assert "salesforce has no object &#x27;Pricebook2&#x27;." in refused and "Describe objects" in refused
    page = reverse("integrations:connection_describe", args=[world.sf_connection.pk])
    said = admin_client.post(page, {"objects": "Pricebook2, Projekt__c"}).content.decode()
    assert "salesforce Pricebook2: " in said and " fields." in said
    assert "salesforce has no object &#x27;Projekt__c&#x27;. Known: " in said  # the org's own list
    assert DescribedObject.objects.filter(system="salesforce", name="Pricebook2").exists()
    assert "Pricebook2" in admin_client.get(page).content.decode()
    world.sf_connection.set_secrets(access_token="", refresh_token="")  # not connected: a sentence, not a 500
    world.sf_connection.save()
    refused = admin_client.post(page, {"objects": "Pricebook2"})
    assert refused.status_code == 200 and "salesforce Pricebook2: not described — " in refused.content.decode()
    page = generic_post(source_object="Pricebook2", setting__write_back='{"field": "Nmae", "value": "id"}')
    assert "salesforce Pricebook2 has no field &#x27;Nmae&#x27;. Known: " in page.content.decode()
    assert generic_post(source_object="Pricebook2").status_code == 302


def test_saving_a_flow_naming_an_unknown_field_is_refused_naming_what_exists(generic_post):
    page = generic_post(setting__write_back='{"field": "Invoice_No__c", "value": "invoice_number"}',
                        setting__marker_field="po_numbr").content.decode()
    assert not Flow.objects.filter(name="orders-generic").exists()
    assert "salesforce Order has no field &#x27;Invoice_No__c&#x27;. Known: AccountId, " in page
    assert "freshbooks invoice has no field &#x27;po_numbr&#x27;. Known: " in page and "po_number" in page
    assert generic_post(setting__write_back='{"field": "FreshBooks_Invoice_Number__c", "value": "invoice_number"}',
                        setting__marker_field="po_number").status_code == 302
    assert Flow.objects.get(name="orders-generic").settings["marker_field"] == "po_number"


@pytest.mark.parametrize("target_object, target_field, refusal", [
    ("FreshBooks_Invoice__c", "Totl__c", "Totl__c: salesforce FreshBooks_Invoice__c has no such field. Known: Account__c, "),
    ("FreshBooks_Invoic__c", "Name", "salesforce has no object 'FreshBooks_Invoic__c'. Known: Account, "),
])
def test_a_mapping_set_naming_an_unknown_object_or_field_is_refused(world, target_object, target_field, refusal):
    from mappings.errors import ConfigurationError
    from tests.mappings.builders import mapping_set_make

    draft = mapping_set_make([{"target_field": target_field, "source_path": "amount.amount"}], name="typo",
                             source_system="freshbooks", source_object="invoice", target_system="salesforce",
                             target_object=target_object)
    with pytest.raises(ConfigurationError) as refused:
        mapping_set_publish(mapping_set=draft)
    assert refusal in str(refused.value)


@pytest.mark.slow  # a second install: migrate, setup, ledgerlink_serve (web, cluster, simulators' servers)
def test_an_exported_generic_flow_imports_into_a_fresh_database_and_runs_there(world, tmp_path):
    """Exported here; imported into another install (its own migrated SQLite database, its own simulators'
    data, its own connections made as the demo makes them, no demo flows) while it runs as `make run` runs
    it: people create a FreshBooks client and an invoice there, the webhooks reach it, and its cluster
    syncs them through the imported flows, unchanged."""
    out = StringIO()
    call_command("export_config", "--flows", INVOICE_FLOW, "fb-client-to-sf-account", stdout=out)
    exported = json.loads(out.getvalue())
    assert sorted(f["kind"] for f in exported["flows"]) == ["freshbooks-client-to-salesforce-account", "record_sync"]
    path = tmp_path / "config.json"
    path.write_text(out.getvalue())

    fresh = FreshInstall(tmp_path, port=free_port(), pubsub_port=free_port())
    fresh.manage("migrate", "--noinput")
    fresh.manage("ledgerlink_setup", "--no-demo")
    fresh.step("connect")
    rows = partial(db_rows, fresh.database)
    here = {"Salesforce sandbox": "Salesforce (sandbox)", "FreshBooks test": "FreshBooks (sandbox)"}  # its own names
    try:
        fresh.serve()
        # Its cluster registers the FreshBooks webhooks; the import enables the flows only once they are verified.
        wait_until(lambda: rows("SELECT count(*) FROM sandbox_freshbooks_simcallback WHERE verified")[0][0] >= 2,
                   timeout=120, what=f"the fresh install's FreshBooks webhooks verified\n{fresh.tail()}")
        fresh.manage("import_config", str(path), "--user", "admin",
                     *[f"--connection={a}={b}" for a, b in here.items()])
        assert sorted(name for (name,) in rows("SELECT name FROM integrations_flow WHERE enabled")) == \
            sorted([INVOICE_FLOW, "fb-client-to-sf-account"])  # the imported flows only, enabled

        client = fresh.step("fb_create", "client", json.dumps({"organization": "Fresh Install Ltd",
                                                               "email": "ap@fresh-install.test"}))
        wait_until(lambda: [a for a in sf_records(fresh.database, "Account") if a.get("Name") == "Fresh Install Ltd"],
                   timeout=120, what=f"the client's Account in the fresh install\n{fresh.tail()}")
        invoice = fresh.step("fb_create", "invoice", json.dumps({
            "customerid": int(client), "create_date": "2026-07-01", "currency_code": "USD",
            "lines": [{"name": "Consulting", "qty": "1", "unit_cost": {"amount": "250.00", "code": "USD"}}]}))
        wait_until(lambda: sf_records(fresh.database, "FreshBooks_Invoice__c"), timeout=120,
                   what=f"the invoice's record in the fresh install\n{fresh.tail()}")
    finally:
        fresh.stop()
    [account] = [a for a in sf_records(fresh.database, "Account") if a.get("Name") == "Fresh Install Ltd"]
    [record] = sf_records(fresh.database, "FreshBooks_Invoice__c")
    assert record["Total__c"] == 250 and record["Account__c"] == account["Id"]
    assert record["FreshBooks_Invoice_Id__c"] == invoice
    assert rows("SELECT status, result FROM integrations_syncitem WHERE source_id = ? AND flow_id = "
                "(SELECT id FROM integrations_flow WHERE name = ?)", invoice, INVOICE_FLOW)[0][0] == S.SUCCEEDED
    assert not invoice_records(world)  # nothing of it here: the fresh install has its own simulators


def test_an_import_naming_an_unknown_field_is_refused(world, tmp_path):
    out = StringIO()
    call_command("export_config", "--flows", INVOICE_FLOW, stdout=out)
    data = json.loads(out.getvalue())
    data["flows"][0]["settings"]["marker_field"] = "FreshBooks_Id__c"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="salesforce FreshBooks_Invoice__c has no field 'FreshBooks_Id__c'. "
                                           "Known: Account__c, "):
        call_command("import_config", str(path), stdout=StringIO())


def test_reconciliation_compares_the_linked_pairs_of_a_generic_flow(world):
    from integrations.operations.reconcile import reconcile_flow

    _, client = linked_client(world)
    world.run(INVOICE_FLOW, "invoice", fb_invoice(world, client))
    report = reconcile_flow(flow=world.flow(INVOICE_FLOW))
    assert report.checked == 1 and report.drifts == []
    record = invoice_records(world)[0]
    world.sf_update("FreshBooks_Invoice__c", record["Id"], {"Total__c": 240})  # someone edits the copy
    [drift] = reconcile_flow(flow=world.flow(INVOICE_FLOW)).drifts
    assert drift.kind == "amount_differs" and "target total 240" in drift.message


def test_a_poll_queues_only_orders_the_filter_lets_through(world):
    from integrations.triggers.polling import flow_poll

    account, _ = linked_client(world)
    activated = activated_order(world, account)
    world.sf_create("Order", {"AccountId": account, "Status": "Draft", "EffectiveDate": "2026-07-01"})
    report = flow_poll(flow=world.flow(ORDER_FLOW), now=timezone.now() + timedelta(seconds=1))
    assert report.error == "" and report.enqueued == 1
    assert list(SyncItem.objects.filter(flow__name=ORDER_FLOW).values_list("source_id", flat=True)) == [activated]


def test_deletes_are_ignored_or_archive_the_target_where_it_can(world):
    account, _ = linked_client(world)
    order = activated_order(world, account)
    world.run(ORDER_FLOW, "Order", order)
    [invoice] = world.fb_objects("invoice")
    item = world.run(ORDER_FLOW, "Order", order, action="delete")
    assert item.status == S.SKIPPED and "the flow ignores deletes" in item.last_error
    flow = world.flow(ORDER_FLOW)
    flow.settings = {**flow.settings, "deletes": "archive"}
    flow.save()
    item = world.run(ORDER_FLOW, "Order", order, action="delete")
    assert item.status == S.SUCCEEDED and item.result["action"] == "archived", item.last_error
    assert world.fb_objects("invoice") == []  # archived: vis_state 2, hidden from the live list


def test_a_field_changed_on_both_sides_goes_to_its_owner(world):
    _, client = linked_client(world)
    flow = world.flow(INVOICE_FLOW)
    flow.settings = {**flow.settings, "field_owners": {"Outstanding__c": "salesforce"}}
    flow.save()
    invoice = fb_invoice(world, client)
    world.run(INVOICE_FLOW, "invoice", invoice)
    record = invoice_records(world)[0]
    world.sf_update("FreshBooks_Invoice__c", record["Id"], {"Outstanding__c": 0})  # someone writes it off here
    world.pay(invoice, "100.00")  # and FreshBooks changes it too
    item = world.run(INVOICE_FLOW, "invoice", invoice)
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == {"Outstanding__c": "target"}
    record = invoice_records(world)[0]
    assert record["Outstanding__c"] == 0 and record["Status__c"] == "partial"  # the owner's value kept

"""Flow 2/3 under failure, over real HTTP, the engine run in this process: a crash between the
remote create and our commit, a failed write-back, 429/503 storms, expired tokens, duplicate
and out-of-order events."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.flows.opportunity_invoice.handler import OpportunityInvoiceFlow
from integrations.flows.record_sync.handler import RecordSyncFlow
from tests.flows.crash import run_killed_after_create
from integrations.models import Binding, Entity, InboundEvent, SyncItem
from integrations.sandbox.freshbooks.faults import faults_set, tokens_expire_all
from integrations.sandbox.salesforce import services as sim
from integrations.sync.routing import inbound_event_route
from integrations.triggers.intake import inbound_event_store
from integrations.sync.sweeper import sync_items_dispatch_due
from integrations.sync.engine import sync_item_process
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
OPP_FLOW = "sf-opportunity-to-fb-invoice"
GENERIC_INVOICE_FLOW = "fb-invoice-to-sf-invoice-record"  # the demo's generic flow, reading flow 2's invoices


def creates(operation="invoices.create") -> int:
    return ApiCall.objects.filter(operation=operation, status_code=200).count()


def drive(items, *, rounds=30):
    """Run every open item until none is left open (retries made due at once: no waiting)."""
    for _ in range(rounds):
        open_items = SyncItem.objects.filter(pk__in=[i.pk for i in items], status__in=SyncItem.OPEN_STATUSES)
        if not open_items.exists():
            return
        for item in open_items:
            SyncItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
            sync_item_process(item_id=item.pk)
    raise AssertionError("items still open after all rounds")


def test_crash_between_remote_create_and_commit_makes_no_second_invoice(world, monkeypatch):
    opp = world.won_opportunity()
    run_killed_after_create(world, monkeypatch, OpportunityInvoiceFlow, OPP_FLOW, "Opportunity", opp)
    item = SyncItem.objects.get(source_id=opp)
    assert item.status == S.RUNNING and len(world.fb_objects("invoice")) == 1
    # the sweeper finds the stale running item; the retry finds the invoice by its marker
    assert sync_items_dispatch_due(now=timezone.now() + timedelta(hours=2))["stale_recovered"] == 1
    drive([item])
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED and item.result["action"] == "matched"
    assert len(world.fb_objects("invoice")) == 1 and creates() == 1
    assert world.sf_record(opp)["FreshBooks_Invoice_Id__c"] == item.target_external_id


def test_failed_write_back_is_retried_alone(world):
    opp = world.won_opportunity()
    account = world.sf_record(opp)["AccountId"]
    client = world.fb_create("client", {"organization": "Globex Corporation", "email": "ann@globex.test"})
    world.sf_update("Account", account, {"FreshBooks_Client_Id__c": str(client)})
    sim.org_configure(fault_lock_row=1)  # the next Salesforce write (the write-back) meets a locked row
    item = world.run(OPP_FLOW, "Opportunity", opp)
    assert item.status == S.RETRYING and "writing the target's ids back" in item.last_error
    assert not world.sf_record(opp).get("FreshBooks_Invoice_Id__c")
    drive([item])
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED
    assert creates() == 1 and len(world.fb_objects("invoice")) == 1
    assert world.sf_record(opp)["FreshBooks_Invoice_Id__c"] == item.target_external_id


def test_429_and_503_storms_from_both_simulators_end_succeeded_once_each(world, settings):
    opps = [world.won_opportunity(account=f"Storm {n}", email=f"ap{n}@storm.test") for n in range(4)]
    faults_set(account=world.fb_sandbox.account, fault_429_remaining=5, fault_retry_after=1,
               fault_5xx_remaining=3, fault_5xx_status=503)
    sim.org_configure(fault_unavailable=4)
    items = [world.run(OPP_FLOW, "Opportunity", opp) for opp in opps]
    assert any(i.status == S.RETRYING for i in items)
    drive(items)
    assert [SyncItem.objects.get(pk=i.pk).status for i in items] == [S.SUCCEEDED] * 4
    invoices = world.fb_objects("invoice")
    assert sorted(i["po_number"] for i in invoices) == sorted(opps)  # one each, none lost, none duplicated
    assert ApiCall.objects.filter(status_code=429).exists() and ApiCall.objects.filter(status_code=503).exists()


def test_storm_that_never_ends_goes_dead_with_a_reason(world, settings):
    settings.SYNC_MAX_ATTEMPTS = 3
    opp = world.won_opportunity()
    sim.org_configure(fault_unavailable=1000)
    item = world.run(OPP_FLOW, "Opportunity", opp)
    drive([item])
    item.refresh_from_db()
    assert item.status == S.DEAD and "Gave up after 3 attempts" in item.last_error and "503" in item.last_error


def test_tokens_expire_mid_batch(world):
    opps = [world.won_opportunity(account=f"Token {n}", email=f"t{n}@token.test") for n in range(3)]
    assert world.run(OPP_FLOW, "Opportunity", opps[0]).status == S.SUCCEEDED
    tokens_expire_all(account=world.fb_sandbox.account)
    sim.sessions_expire_now()
    results = [world.run(OPP_FLOW, "Opportunity", opp) for opp in opps[1:]]
    assert [r.status for r in results] == [S.SUCCEEDED, S.SUCCEEDED], [r.last_error for r in results]
    assert len(world.fb_objects("invoice")) == 3


def test_duplicate_and_out_of_order_events_give_one_invoice_and_the_final_status(world):
    opp = world.won_opportunity(lines=(("Consulting hour", "CONS-H", 100, 1),))
    item = world.run(OPP_FLOW, "Opportunity", opp)
    [invoice] = world.fb_objects("invoice")
    # the same change event three times: stored once, one item
    connection = world.sf_connection
    events = [inbound_event_store(connection=connection, dedupe_key=f"replay:77:{opp}", event_type="Opportunity.UPDATE",
                                  object_type="Opportunity", object_id=opp)[1] for _ in range(3)]
    assert events == [True, False, False] and InboundEvent.objects.get(dedupe_key=f"replay:77:{opp}").duplicate_count == 2
    # payments recorded in one order, their events processed in the other: the status is the latest truth
    first = world.pay(invoice["id"], "40.00", date="2026-07-01")
    second = world.pay(invoice["id"], "60.00", date="2026-07-02")
    for payment in (second, first, second):
        event_id, _ = inbound_event_store(connection=world.fb_connection,
                                          dedupe_key=f"payment.create:{payment}:{timezone.now()}",
                                          event_type="payment.create", object_type="payment", object_id=str(payment))
        items = inbound_event_route(event=InboundEvent.objects.get(pk=event_id))
        drive(items)
    record = world.sf_record(opp)
    assert (record["Payment_Status__c"], record["Amount_Paid__c"]) == ("Paid", 100)
    assert world.run(OPP_FLOW, "Opportunity", opp).result["action"] == "unchanged"
    assert creates() == 1 and item.status == S.SUCCEEDED



def _one_deal(opp: str, invoice: int, record: str) -> Entity:
    """The Opportunity, its invoice and the invoice's custom record on one entity, every item of them on it too."""
    deal = Binding.objects.get(object_type="Opportunity", external_id=opp).entity
    bound = {(b.object_type, b.external_id) for b in deal.bindings.all()}
    assert bound == {("Opportunity", opp), ("invoice", str(invoice)), ("FreshBooks_Invoice__c", record)}
    assert set(SyncItem.objects.filter(source_id__in=[opp, str(invoice)]).values_list("entity", flat=True)) == {deal.pk}
    return deal


def _generic_again(world, invoice: int) -> None:
    """The generic flow runs again over the invoice: it finds its record on the deal, writes no second one."""
    again = world.run(GENERIC_INVOICE_FLOW, "invoice", invoice)
    assert again.status == S.SUCCEEDED and again.result["action"] in ("unchanged", "updated"), again.last_error
    assert len(world.sf_records("FreshBooks_Invoice__c")) == 1


def test_the_generic_invoice_flow_reaching_the_invoice_first_leaves_one_deal(world, monkeypatch):
    """Flow 2's worker dies between the invoice's create and our commit; before its retry, the generic
    flow FreshBooks invoice → FreshBooks_Invoice__c (reading the same invoices) syncs that invoice and
    links it to an entity of its own. Flow 2's retry finds the invoice there and joins that entity."""
    opp = world.won_opportunity()
    run_killed_after_create(world, monkeypatch, OpportunityInvoiceFlow, OPP_FLOW, "Opportunity", opp)
    item = SyncItem.objects.get(source_id=opp, flow__name=OPP_FLOW)
    [invoice] = world.fb_objects("invoice")

    generic = world.run(GENERIC_INVOICE_FLOW, "invoice", invoice["id"])
    assert generic.status == S.SUCCEEDED and generic.result["action"] == "created", generic.last_error
    [record] = world.sf_records("FreshBooks_Invoice__c")
    assert record["Account__c"] == world.sf_record(opp)["AccountId"]

    assert sync_items_dispatch_due(now=timezone.now() + timedelta(hours=2))["stale_recovered"] == 1
    drive([item])
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED and item.result["action"] == "matched", item.last_error
    assert len(world.fb_objects("invoice")) == 1 and creates() == 1
    _one_deal(opp, invoice["id"], record["Id"])
    _generic_again(world, invoice["id"])


def test_flow_2_binding_the_invoice_while_the_generic_flow_writes_its_record_leaves_one_deal(world, monkeypatch):
    """The other order: the generic flow has created the invoice's custom record in Salesforce and not yet
    committed when flow 2's retry binds the invoice to the deal. The generic flow's commit then meets the
    invoice on the deal: its record joins the deal (the two entities hold no record of the same kind)."""
    opp = world.won_opportunity()
    run_killed_after_create(world, monkeypatch, OpportunityInvoiceFlow, OPP_FLOW, "Opportunity", opp)
    item = SyncItem.objects.get(source_id=opp, flow__name=OPP_FLOW)
    [invoice] = world.fb_objects("invoice")
    real_create = RecordSyncFlow.create

    def create_then_flow_2_commits(self, sync_item, payload):
        made = real_create(self, sync_item, payload)
        SyncItem.objects.filter(pk=item.pk).update(status=S.RETRYING, next_attempt_at=timezone.now())
        sync_item_process(item_id=item.pk)  # flow 2's retry, between the generic flow's create and its commit
        return made

    monkeypatch.setattr(RecordSyncFlow, "create", create_then_flow_2_commits)
    generic = world.run(GENERIC_INVOICE_FLOW, "invoice", invoice["id"])
    monkeypatch.setattr(RecordSyncFlow, "create", real_create)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED and item.result["action"] == "matched", item.last_error
    assert generic.status == S.SUCCEEDED and generic.result["action"] == "created", generic.last_error
    [record] = world.sf_records("FreshBooks_Invoice__c")
    deal = _one_deal(opp, invoice["id"], record["Id"])
    assert generic.entity_id == deal.pk
    assert Entity.objects.filter(kind=Entity.Kind.DEAL).count() == 1  # the generic flow's own entity merged away
    _generic_again(world, invoice["id"])

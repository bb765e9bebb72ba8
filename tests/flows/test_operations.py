"""Polling, backfill and the operations commands over real HTTP against both simulators."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.operations.backfill import flow_backfill
from integrations.models import Binding, Cursor, Flow, SyncItem
from integrations.triggers.polling import flow_poll, flows_poll_due
from integrations.sandbox.salesforce import services as sim
from integrations.sync.engine import sync_item_process
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
OPP_FLOW = "sf-opportunity-to-fb-invoice"


def process_open():
    for item in SyncItem.objects.filter(status=S.PENDING):
        sync_item_process(item_id=item.pk)


def test_poll_catches_what_events_missed_without_redoing_what_they_delivered(world, clock):
    t = clock.at
    delivered = world.won_opportunity(account="Delivered Co", email="a@delivered.test")
    clock.set(t + timedelta(minutes=1))
    world.run(OPP_FLOW, "Opportunity", delivered)  # as if its change event had arrived
    missed = world.won_opportunity(account="Missed Co", email="a@missed.test")
    world.won_opportunity(account="Open Co", email="a@open.test", stage="Prospecting")
    flow = Flow.objects.get(name=OPP_FLOW)
    writes = ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH"]).count()
    report = flow_poll(flow=flow)
    # the missed one, and the delivered one once more (our write-back changed its stamp): it is
    # read and found unchanged, nothing is written for it
    assert (report.seen, report.enqueued, report.error) == (2, 2, ""), report
    clock.set(t + timedelta(minutes=2))  # the workers' turn (stamps are whole seconds: a later second)
    process_open()
    assert sorted(i["po_number"] for i in world.fb_objects("invoice")) == sorted([delivered, missed])
    assert SyncItem.objects.filter(source_id=delivered).latest("pk").result["action"] == "unchanged"
    created = ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH"]).count() - writes
    assert created == 4  # missed: client, Account reference, invoice, write-back
    # the next poll re-reads the missed one once (its write-back); after that there is nothing to do
    flow_poll(flow=flow)
    clock.set(t + timedelta(minutes=3))
    process_open()
    assert SyncItem.objects.filter(source_id=missed).latest("pk").result["action"] == "unchanged"
    assert ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH"]).count() - writes == 4
    again = flow_poll(flow=flow)
    assert again.enqueued == 0 and again.already_synced == 2 and again.error == "", again
    assert Cursor.objects.get(flow__name=OPP_FLOW, stream="poll").value


def test_poll_freshbooks_payments_and_due_schedule(world):
    opp = world.won_opportunity(lines=(("Consulting hour", "CONS-H", 100, 1),))
    world.run(OPP_FLOW, "Opportunity", opp)
    [invoice] = world.fb_objects("invoice")
    world.pay(invoice["id"], "100.00")
    Flow.objects.filter(name="fb-payment-to-sf-opportunity").update(poll_interval_minutes=5)
    reports = flows_poll_due()
    assert [r.flow for r in reports] == ["fb-payment-to-sf-opportunity"] and reports[0].enqueued == 1
    assert flows_poll_due() == []  # not due again within its interval
    process_open()
    assert world.sf_record(opp)["Payment_Status__c"] == "Paid"


def test_poll_failure_keeps_the_cursor(world):
    flow = Flow.objects.get(name=OPP_FLOW)
    sim.org_configure(fault_unavailable=50)
    report = flow_poll(flow=flow)
    assert "503" in report.error or "Salesforce" in report.error
    assert Cursor.objects.get(flow__name=OPP_FLOW, stream="poll").value == ""


def test_backfill_batches_is_resumable_and_never_invoices_twice(world, capsys, clock):
    sim.org_configure(query_page_size=3)
    opps = [world.won_opportunity(account=f"Backfill {n}", email=f"b{n}@bf.test") for n in range(7)]
    world.won_opportunity(account="Lost deal", email="x@lost.test", stage="Closed Lost")
    clock.set(clock.at + timedelta(minutes=1))  # stamps are whole seconds: its write-back is the latest
    world.run(OPP_FLOW, "Opportunity", opps[0])  # one already invoiced by the engine
    call_command("backfill", "--flow", OPP_FLOW, "--dry-run")
    assert "1 would be skipped" in capsys.readouterr().out and len(world.fb_objects("invoice")) == 1
    ApiCall.objects.all().delete()
    summary = flow_backfill(flow=Flow.objects.get(name=OPP_FLOW))
    assert summary.counts == {"created": 6, "updated": 0, "matched": 0, "skipped": 1, "queued": 0, "failed": 0}
    assert sorted(i["po_number"] for i in world.fb_objects("invoice")) == sorted(opps)
    for opp in opps:
        record = world.sf_record(opp)
        assert record["FreshBooks_Invoice_Id__c"] and record["FreshBooks_Invoice_Number__c"]
    sf_calls = ApiCall.objects.filter(system="salesforce").values_list("operation", flat=True)
    # three query pages (3 + 3 + the one already invoiced, last by SystemModstamp); one Collections
    # write-back per page that had new invoices
    assert sorted(sf_calls) == ["collections.update", "collections.update", "query", "query.more", "query.more"]
    assert SyncItem.objects.filter(hint__reason="backfill", status=S.SUCCEEDED).count() == 7
    # a second run (resumed from the cursor) finds everything done
    again = flow_backfill(flow=Flow.objects.get(name=OPP_FLOW))
    assert again.counts["created"] == 0 and len(world.fb_objects("invoice")) == 7
    # the engine agrees afterwards: a replay of a backfilled Opportunity writes nothing
    assert world.run(OPP_FLOW, "Opportunity", opps[3]).result["action"] == "unchanged"


def test_backfill_matches_invoices_made_before_a_crash(world):
    opp = world.won_opportunity()
    flow = Flow.objects.get(name=OPP_FLOW)
    world.run(OPP_FLOW, "Opportunity", opp)
    Binding.objects.filter(object_type__in=["invoice", "Opportunity"]).delete()  # lost our side of it
    summary = flow_backfill(flow=flow)
    assert summary.counts["matched"] == 1 and len(world.fb_objects("invoice")) == 1


def test_resync_and_replay_commands(world, capsys):
    opp = world.won_opportunity()
    call_command("resync", "salesforce", "Opportunity", opp)
    assert "Queued item" in capsys.readouterr().out
    process_open()
    item = SyncItem.objects.get(source_id=opp)
    assert item.status == S.SUCCEEDED
    SyncItem.objects.filter(pk=item.pk).update(status=S.DEAD)
    call_command("replay", "--dead", "--flow", OPP_FLOW, "--since", "1h")
    assert "1 item(s) queued again." in capsys.readouterr().out
    call_command("poll", "--flow", OPP_FLOW)
    assert "queued" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No enabled flow reads salesforce Lead"):
        call_command("resync", "salesforce", "Lead", "00Q000000000001")
    with pytest.raises(CommandError, match="No flow named 'nope'"):
        call_command("backfill", "--flow", "nope")


def test_backfill_finds_the_invoice_the_opportunity_names_as_the_engine_does(world):
    """The Opportunity carries the invoice id written back; the invoice's marker was cleared in
    FreshBooks. The engine finds it by that id (find_existing); the batched backfill must too,
    not make a second invoice."""
    opp = world.won_opportunity()
    flow = Flow.objects.get(name=OPP_FLOW)
    world.run(OPP_FLOW, "Opportunity", opp)
    invoice_id = world.sf_record(opp)["FreshBooks_Invoice_Id__c"]
    world.fb_update("invoice", int(invoice_id), {"po_number": ""})
    Binding.objects.filter(object_type__in=["invoice", "Opportunity"]).delete()  # lost our side of it
    summary = flow_backfill(flow=flow)
    assert summary.counts["matched"] == 1 and summary.counts["created"] == 0
    assert [str(i["id"]) for i in world.fb_objects("invoice")] == [str(invoice_id)]

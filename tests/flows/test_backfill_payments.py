"""Flow 3's batched backfill (FreshBooks payments or invoices → the Opportunity's payment status)
over real HTTP against both simulators: one Collections update for many payments, per-record
failures, the flow's Opportunity lookup, dry run, resume, echo suppression."""
from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from integrations.operations.backfill import flow_backfill
from integrations.models import Binding, Cursor, EntityLink, Flow, SyncItem
from mappings.models import ValueTableEntry
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
OPP_FLOW, PAYMENTS, INVOICES = "sf-opportunity-to-fb-invoice", "fb-payment-to-sf-opportunity", "fb-invoice-to-sf-opportunity"
ONE_LINE = (("Consulting hour", "CONS-H", 100, 10),)  # a 1,000.00 invoice


def sf_calls() -> list[str]:
    return sorted(ApiCall.objects.filter(system="salesforce").values_list("operation", flat=True))


def writes() -> int:
    return ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).count()


def backfill(name: str = PAYMENTS, **kwargs):
    return flow_backfill(flow=Flow.objects.get(name=name), **kwargs)


def invoiced(world, name: str) -> tuple[str, int]:
    """A won Opportunity invoiced by flow 2 (through the engine); its id and its invoice's."""
    opp = world.won_opportunity(account=name, email=f"ap@{name.lower().replace(' ', '')}.test", lines=ONE_LINE)
    assert world.run(OPP_FLOW, "Opportunity", opp).status == S.SUCCEEDED
    return opp, next(i["id"] for i in world.fb_objects("invoice") if i["po_number"] == opp)


def payment_status(world, opp: str) -> tuple:
    record = world.sf_record(opp)
    return record["Payment_Status__c"], record["Amount_Paid__c"], record["Date_Paid__c"]


def test_payments_make_one_collections_update_and_a_refused_record_fails_alone(world):
    paid_opp, paid = invoiced(world, "Paid In Three")
    partial_opp, partial = invoiced(world, "Partly Paid")
    unpaid_opp, _ = invoiced(world, "Not Paid")
    # an invoice made in FreshBooks, written to an Opportunity by hand (no binding, no marker)
    client = world.fb_create("client", {"organization": "Manual Co"})
    manual = world.fb_create("invoice", {"customerid": client, "create_date": "2026-06-01", "lines": [
        {"name": "Work", "qty": 1, "unit_cost": {"amount": "300.00", "code": "USD"}}]})
    manual_account = world.sf_create("Account", {"Name": "Manual Co"})
    manual_opp = world.sf_create("Opportunity", {"Name": "Manual deal", "StageName": "Closed Won", "CloseDate": "2026-06-30",
                                                 "AccountId": manual_account, "FreshBooks_Invoice_Id__c": str(manual)})
    stray_client = world.fb_create("client", {"organization": "Stray Co"})
    stray = world.fb_create("invoice", {"customerid": stray_client, "create_date": "2026-06-01", "lines": [
        {"name": "Work", "qty": 1, "unit_cost": {"amount": "50.00", "code": "USD"}}]})
    payments = [world.pay(paid, "200.00", "2026-07-01"), world.pay(paid, "300.00", "2026-07-02"),
                world.pay(paid, "500.00", "2026-07-03"), world.pay(partial, "400.00"), world.pay(manual, "300.00"),
                world.pay(stray, "50.00")]
    # Salesforce refuses one value: the org's picklist has no "Partly paid"
    ValueTableEntry.objects.filter(table__name="freshbooks-payment-status-to-salesforce", source_value="partial") \
        .update(target_value="Partly paid")
    ApiCall.objects.all().delete()

    summary = backfill()

    # the bound invoices' Opportunities are updated, the hand-made one matched by its invoice id
    assert summary.counts == {"created": 0, "updated": 3, "matched": 1, "skipped": 1, "queued": 0, "failed": 1}, summary.failures
    # the Opportunities by Id and by the invoice id written back, then one update for all
    assert sf_calls() == ["collections.update", "query", "query"]
    assert ApiCall.objects.get(operation="collections.update").record_count == 3
    assert payment_status(world, paid_opp) == ("Paid", 1000, "2026-07-03")
    assert payment_status(world, manual_opp) == ("Paid", 300, "2026-07-01")
    assert payment_status(world, partial_opp) == (None, None, None)
    items = {i.source_id: i for i in SyncItem.objects.filter(hint__reason="backfill")}
    refused = items[str(payments[3])]
    assert refused.status == S.DEAD and "Payment Status: bad value for restricted picklist field: Partly paid" in \
        refused.last_error and "while updating the target record" in refused.last_error, refused.last_error
    assert items[str(payments[5])].status == S.SKIPPED and "not made from a Salesforce Opportunity" in \
        items[str(payments[5])].last_error
    first = items[str(payments[0])]
    assert (first.status, first.target_external_id, first.result["written"]) == \
        (S.SUCCEEDED, paid_opp, ["Amount_Paid__c", "Date_Paid__c", "Payment_Status__c"])
    assert first.result["facts"] == {"payment_amount": "200.00", "open_amount": "200.00"}
    # each payment linked to its deal, as the engine links them (the deal timeline shows them)
    deal = Binding.objects.get(object_type="Opportunity", external_id=paid_opp).entity
    assert EntityLink.objects.filter(from_entity=deal, relation="paid_by").count() == 3
    assert Cursor.objects.get(flow__name=PAYMENTS, stream="backfill").value

    # fixed, then run again: only the refused Opportunity is written
    ValueTableEntry.objects.filter(source_value="partial").update(target_value="Partial")
    ApiCall.objects.all().delete()
    again = backfill(since=None)
    assert again.counts == {"created": 0, "updated": 1, "matched": 1, "skipped": 4, "queued": 0, "failed": 0}, again.failures
    assert sf_calls() == ["collections.update", "query", "query"]
    assert ApiCall.objects.get(operation="collections.update").record_count == 1
    assert payment_status(world, partial_opp) == ("Partial", 400, None)

    # echo suppression: our Opportunity writes coming back to flow 2, and the invoice flow, write nothing
    before = writes()
    assert world.run(OPP_FLOW, "Opportunity", paid_opp).result["action"] == "unchanged"
    invoices = backfill(INVOICES)
    # (the unpaid invoice tells its Opportunity nothing new; the stray one has none)
    assert invoices.counts == {"created": 0, "updated": 1, "matched": 1, "skipped": 3, "queued": 0, "failed": 0}, invoices.failures
    assert writes() == before
    assert payment_status(world, unpaid_opp) == (None, None, None)


def test_dry_run_writes_nothing(world, capsys):
    opp, invoice = invoiced(world, "Dry Run")
    world.pay(invoice, "1000.00")
    ApiCall.objects.all().delete()
    call_command("backfill", "--flow", PAYMENTS, "--dry-run")
    assert "1 would be updated" in capsys.readouterr().out
    assert writes() == 0 and sf_calls() == ["query"]
    assert not SyncItem.objects.filter(hint__reason="backfill").exists()
    assert payment_status(world, opp) == (None, None, None)
    assert Cursor.objects.get(flow__name=PAYMENTS, stream="backfill").value == ""


def test_resumes_after_an_interruption(world):
    invoices = [invoiced(world, f"Many Payments {n}") for n in range(5)]
    for _, invoice in invoices:
        for _ in range(50):
            world.pay(invoice, "1.00")
    assert world.backfill_stopped_after_first_chunk(PAYMENTS) == [200]
    assert Counter(payment_status(world, opp)[1] for opp, _ in invoices) == {50: 4, None: 1}
    ApiCall.objects.all().delete()

    summary = backfill()

    # the 200 done are unchanged (what we wrote is remembered); the other 50 update their Opportunity
    assert summary.counts == {"created": 0, "updated": 50, "matched": 0, "skipped": 200, "queued": 0, "failed": 0}
    assert sf_calls() == ["collections.update", "query"]  # nothing read or written for the first 200
    assert ApiCall.objects.get(operation="collections.update").record_count == 1
    assert [payment_status(world, opp) for opp, _ in invoices] == [("Partial", 50, None)] * 5

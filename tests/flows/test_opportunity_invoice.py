"""Flow 2 over real HTTP against both simulators, the engine run in this process."""
from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.models import Binding, SyncItem

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status


def test_closed_won_creates_one_draft_invoice_and_writes_ids_back(world):
    opp = world.won_opportunity()
    item = world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp)
    assert item.status == S.SUCCEEDED, item.last_error
    [invoice] = world.fb_objects("invoice")
    [client] = world.fb_objects("client")
    assert client["organization"] == "Globex Corporation" and client["email"] == "ann@globex.test"
    assert invoice["customerid"] == client["id"] and invoice["po_number"] == opp and invoice["status"] == 1
    assert [(line["name"], Decimal(line["qty"]), Decimal(line["unit_cost"]["amount"])) for line in invoice["lines"]] == \
        [("Consulting hour", 4, 150), ("Implementation", 1, 4800)]
    record = world.sf_record(opp)
    assert record["FreshBooks_Invoice_Id__c"] == str(invoice["id"])
    assert record["FreshBooks_Invoice_Number__c"] == invoice["invoice_number"]
    account = world.sf_record(record["AccountId"])
    assert account["FreshBooks_Client_Id__c"] == str(client["id"])
    assert item.result["facts"]["source_amount"] == 5400 and Decimal(item.result["facts"]["target_amount"]) == 5400
    # replay: still one invoice, nothing written
    again = world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp)
    assert again.status == S.SUCCEEDED and again.result["action"] == "unchanged"
    assert len(world.fb_objects("invoice")) == 1
    assert Binding.objects.get(object_type="invoice").entity == Binding.objects.get(object_type="Opportunity").entity


def test_not_won_is_skipped(world):
    opp = world.won_opportunity(stage="Prospecting")
    item = world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp)
    assert item.status == S.SKIPPED and "not Closed Won" in item.last_error
    assert world.fb_objects("invoice") == []


def test_payments_set_partial_then_paid_on_the_opportunity(world):
    opp = world.won_opportunity(lines=(("Consulting hour", "CONS-H", 100, 2),))
    world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp)
    [invoice] = world.fb_objects("invoice")
    first = world.pay(invoice["id"], "50.00")
    item = world.run("fb-payment-to-sf-opportunity", "payment", first)
    assert item.status == S.SUCCEEDED, item.last_error
    record = world.sf_record(opp)
    assert (record["Payment_Status__c"], record["Amount_Paid__c"]) == ("Partial", 50)
    second = world.pay(invoice["id"], "150.00", date="2026-07-03")
    assert world.run("fb-payment-to-sf-opportunity", "payment", second).status == S.SUCCEEDED
    record = world.sf_record(opp)
    assert (record["Payment_Status__c"], record["Amount_Paid__c"], record["Date_Paid__c"]) == ("Paid", 200, "2026-07-03")
    # the first payment synced again (its webhook redelivered, a poll, a replay): nothing new,
    # and not mistaken for a second record claiming the Opportunity
    again = world.run("fb-payment-to-sf-opportunity", "payment", first)
    assert (again.status, again.result.get("action")) == (S.SUCCEEDED, "unchanged"), again.last_error

"""The simulator's browser pages: create records, add products, close the deal, see events, set faults."""
from __future__ import annotations

from integrations.sandbox.salesforce.models import SfChangeEvent, SfOrg, SfRecord
from integrations.sandbox.salesforce.org import org_get


def _one(sobject):
    return SfRecord.objects.get(sobject=sobject).fields


def test_a_person_can_build_and_win_a_deal(client, db):
    org_get()
    for url in ("", "accounts/", "contacts/", "products/", "opportunities/", "orders/", "events/", "settings/"):
        assert client.get(f"/sandbox/salesforce/{url}").status_code == 200
    client.post("/sandbox/salesforce/accounts/", {"Name": "Acme", "FreshBooks_Client_Id__c": "FB-1"})
    account = _one("Account")["Id"]
    client.post("/sandbox/salesforce/contacts/", {"LastName": "Lee", "Email": "lee@acme.test", "AccountId": account})
    client.post("/sandbox/salesforce/products/", {"Name": "Widget", "ProductCode": "W", "UnitPrice": "25"})
    client.post("/sandbox/salesforce/opportunities/", {"Name": "Big deal", "AccountId": account,
                                                       "StageName": "Prospecting", "CloseDate": "2026-12-31"})
    opp = _one("Opportunity")["Id"]
    page = f"/sandbox/salesforce/opportunities/{opp}/"
    entry = _one("PricebookEntry")["Id"]
    client.post(page, {"action": "product", "PricebookEntryId": entry, "Quantity": "3", "UnitPrice": "25"})
    client.post(page, {"action": "contact", "ContactId": _one("Contact")["Id"], "Role": "Decision Maker",
                       "IsPrimary": "on"})
    client.post(page, {"action": "stage", "StageName": "Closed Won"})
    deal = _one("Opportunity")
    assert (deal["IsWon"], deal["Amount"]) == (True, 75.0)
    assert "Widget" in client.get(page).content.decode()
    refused = client.post("/sandbox/salesforce/contacts/", {"FirstName": "No last name"}, follow=True)
    assert "REQUIRED_FIELD_MISSING" in refused.content.decode()
    assert SfChangeEvent.objects.filter(entity="Opportunity", change_type="UPDATE").exists()
    assert "Opportunity" in client.get("/sandbox/salesforce/events/").content.decode()


def test_a_person_can_build_and_activate_an_order(client, db):
    """The demo's generic flow reads activated Orders: a person makes one on the pages."""
    org_get()
    client.post("/sandbox/salesforce/accounts/", {"Name": "Acme"})
    account = _one("Account")["Id"]
    assert client.get("/sandbox/salesforce/orders/").status_code == 200
    client.post("/sandbox/salesforce/orders/", {"AccountId": account, "EffectiveDate": "2026-07-01",
                                                "Description": "Spring order"})
    order = _one("Order")
    assert (order["Status"], order["AccountId"]) == ("Draft", account) and order["OrderNumber"]
    page = f"/sandbox/salesforce/orders/{order['Id']}/"
    client.post(page, {"action": "product", "Description": "Widget", "Quantity": "2", "UnitPrice": "150"})
    client.post(page, {"action": "product", "Description": "Setup", "Quantity": "1", "UnitPrice": "4800"})
    client.post(page, {"action": "status", "Status": "Activated"})
    order = _one("Order")
    assert (order["Status"], order["TotalAmount"]) == ("Activated", 5100.0)
    shown = client.get(page).content.decode()
    assert "Widget" in shown and "Activated" in shown and order["OrderNumber"] in shown
    assert SfChangeEvent.objects.filter(entity="Order", change_type="UPDATE").exists()
    refused = client.post("/sandbox/salesforce/orders/", {"EffectiveDate": "2026-07-01"}, follow=True)
    assert "REQUIRED_FIELD_MISSING: Required fields are missing: [AccountId]" in refused.content.decode()


def test_fault_injection_page(client, db):
    org_get()
    client.post("/sandbox/salesforce/settings/", {"action": "save", "query_page_size": "5", "api_daily_limit": "100",
                                                  "fault_lock_row": "2", "fault_unavailable": "1", "latency_ms": "0",
                                                  "multi_currency": "on"})
    org = SfOrg.objects.get()
    assert (org.query_page_size, org.fault_lock_row, org.fault_unavailable, org.multi_currency) == (5, 2, 1, True)
    client.post("/sandbox/salesforce/settings/", {"action": "spend_budget"})
    client.post("/sandbox/salesforce/settings/", {"action": "expire_sessions"})
    org.refresh_from_db()
    assert org.api_used == org.api_daily_limit and org.sessions_valid_after is not None
    bad = client.post("/sandbox/salesforce/settings/", {"action": "save", "query_page_size": "x"}, follow=True)
    assert "Numbers only" in bad.content.decode()

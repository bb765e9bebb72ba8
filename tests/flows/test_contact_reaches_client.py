"""Issue 20: a primary Contact's arrival or change reaches the FreshBooks client (change events and
polls), and the invoice flow fills a client's missing billing contact before invoicing."""
from __future__ import annotations

import pytest

from integrations.models import SyncItem
from integrations.triggers.polling import flow_poll
from integrations.sync.engine import sync_item_process
from monitoring.models import SyncAttempt

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
TO_FB, RELAY = "sf-account-to-fb-client", "sf-contact-to-fb-client"


def process_open() -> None:
    for _ in range(5):
        due = list(SyncItem.objects.filter(status__in=SyncItem.OPEN_STATUSES).values_list("pk", flat=True))
        if not due:
            return
        for pk in due:
            sync_item_process(item_id=pk)


def test_a_contact_added_after_its_account_fills_the_client(world):
    account = world.sf_create("Account", {"Name": "Initech", "BillingCity": "Austin"})
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    [client] = world.fb_objects("client")
    assert not client.get("email")  # made from the Account alone

    contact = world.sf_create("Contact", {"FirstName": "Bill", "LastName": "Lumbergh", "Email": "bill@initech.test",
                                          "AccountId": account})
    relayed = world.run(RELAY, "Contact", contact)  # what the Contact's change event starts
    assert relayed.status == S.SUCCEEDED and relayed.result["action"] == "relayed", relayed.last_error
    message = SyncAttempt.objects.filter(sync_item_id=relayed.pk).get().message
    assert message.startswith(f"Primary Contact changed: Account {account} queued on {TO_FB}")
    process_open()
    [client] = world.fb_objects("client")
    assert (client["email"], client["fname"], client["lname"]) == ("bill@initech.test", "Bill", "Lumbergh")
    item = SyncItem.objects.filter(flow__name=TO_FB).latest("pk")
    assert item.status == S.SUCCEEDED and item.result["action"] == "updated", item.last_error


def test_a_contact_change_found_by_polling_fills_the_client(world, settings):
    account = world.sf_create("Account", {"Name": "Initech", "BillingCity": "Austin"})
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    world.sf_create("Contact", {"FirstName": "Bill", "LastName": "Lumbergh", "Email": "bill@initech.test",
                                "AccountId": account})
    report = flow_poll(flow=world.flow(RELAY))
    assert not report.error and report.enqueued == 1, report.sentence()
    process_open()
    [client] = world.fb_objects("client")
    assert client["email"] == "bill@initech.test"


def test_a_contact_that_is_not_the_primary_one_says_so(world):
    account = world.sf_create("Account", {"Name": "Initech"})
    first = world.sf_create("Contact", {"LastName": "First", "Email": "first@initech.test", "AccountId": account})
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    second = world.sf_create("Contact", {"LastName": "Second", "Email": "second@initech.test", "AccountId": account})
    item = world.run(RELAY, "Contact", second)
    assert item.status == S.SKIPPED and f"not the primary Contact of Account {account} (Contact {first} is)" \
        in item.last_error


def test_the_invoice_flow_fills_a_clients_missing_billing_contact_first(world):
    account = world.sf_create("Account", {"Name": "Initech", "BillingCity": "Austin"})
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    opp = world.won_opportunity(account_id=account, email="bill@initech.test")  # adds the Contact as primary role
    item = world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp)
    assert item.status == S.SUCCEEDED, item.last_error
    [client] = world.fb_objects("client")
    assert client["email"] == "bill@initech.test"
    [invoice] = world.fb_objects("invoice")
    assert invoice["customerid"] == client["id"]

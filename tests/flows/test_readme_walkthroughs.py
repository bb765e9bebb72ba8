"""Issue 20, "Done when": the README's two walkthroughs, followed as written on a fresh demo.

Ledgerlink is set up as `make run` does (ledgerlink_setup's demo steps) against the simulators
served over real HTTP; a person acts on the simulators' pages and Ledgerlink's admin; the
workers' part (queued tasks, webhook and change-event deliveries, sync items) runs in-process.
Found: one FreshBooks client with its e-mail, one M3 order per shop order and no stray batch,
each demo's customers kept to their own systems, and "Poll now" writes nothing once settled.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ

from integrations.models import Flow, SyncItem
from integrations.sandbox.freshbooks.deliveries import deliveries_drain as freshbooks_deliver
from integrations.sandbox.freshbooks.models import SimAccount, SimObject
from integrations.sandbox.infor.models import Customer, Order
from integrations.sandbox.salesforce.events import deliveries_drain as salesforce_deliver
from integrations.sandbox.salesforce.models import SfRecord, SfSubscription
from integrations.sandbox.shop.services import outbox_drain as shop_deliver
from integrations.setup import setup_run
from integrations.sync.engine import sync_item_process
from integrations.sync.routing import inbound_events_route_pending
from integrations.triggers.polling import flows_poll_due
from mappings.models import ValueTable
from mappings.value_tables import value_table_draft_open, value_table_publish
from monitoring.models import ApiCall, SyncAttempt
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db(transaction=True)
WRITES = ["POST", "PUT", "PATCH", "DELETE"]


def workers_settle(rounds: int = 40) -> None:
    """What the cluster and the simulators' delivery workers do, until nothing is left to do now."""
    for _ in range(rounds):
        busy = 0
        for row in list(OrmQ.objects.all()):
            row.delete()
            task = row.task
            try:
                import_string(task["func"])(*task.get("args", ()), **task.get("kwargs", {}))
            except Exception:  # a task failing is the task's business (retries are queued again)
                pass
            busy += 1
        busy += salesforce_deliver(include_future=True)["sent"] + freshbooks_deliver() + shop_deliver()["sent"]
        busy += inbound_events_route_pending()
        SyncItem.objects.filter(status=SyncItem.Status.RETRYING).update(next_attempt_at=timezone.now())
        due = list(SyncItem.objects.filter(status__in=SyncItem.OPEN_STATUSES, next_attempt_at__lte=timezone.now())
                   .values_list("pk", flat=True))
        for pk in due:
            sync_item_process(item_id=pk)
        busy += len(due)
        if not busy:
            return
    raise AssertionError("the workers never settled")


@pytest.fixture
def demo(live_server, settings, monkeypatch):
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    monkeypatch.setenv("LEDGERLINK_ADMIN_PASSWORD", "walkthrough-password")
    setup_run(write=lambda _: None, demo=True)
    # `make run` brings Salesforce's change events in through the Pub/Sub subscriber, a process of its
    # own (tests/subscriber runs it); here, where the workers' part runs in-process, the simulator's
    # HTTP relay carries them to the same receiver instead.
    SfSubscription.objects.update(active=True)
    workers_settle()  # webhook callbacks registered and verified, as the first worker run does
    flows_poll_due()  # the scheduler's first polls (the demo business comes with two clients)
    workers_settle()
    person = Client()
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    return person, admin


def _fb(kind: str, **equal) -> list[dict]:
    return [{"id": o.pk, **o.data} for o in SimObject.objects.filter(kind=kind, vis_state=0).order_by("pk")
            if all(o.data.get(k) == v for k, v in equal.items())]


def _sf(sobject: str, **equal) -> list[dict]:
    return [r.fields for r in SfRecord.objects.filter(sobject=sobject, is_deleted=False).order_by("pk")
            if all(r.fields.get(k) == v for k, v in equal.items())]


def _poll_now_writes_nothing(admin) -> None:
    """Integrations → Flows → "Poll now" on every flow, a few minutes later: nothing is written anywhere."""
    writes = ApiCall.objects.filter(method__in=WRITES).exclude(operation__startswith="token").count()
    reads = ApiCall.objects.filter(method="GET").count()
    flows = list(Flow.objects.values_list("pk", flat=True))
    later = timezone.now() + timedelta(minutes=3)
    from django.utils import timezone as tz
    real_now = tz.now
    try:
        tz.now = lambda: later if real_now() < later else real_now()
        answer = admin.post("/admin/integrations/flow/", {"action": "poll_now", "_selected_action": flows})
        assert answer.status_code == 302
        workers_settle()
    finally:
        tz.now = real_now
    assert ApiCall.objects.filter(method="GET").count() > reads + len(flows)  # every flow really polled
    new = list(ApiCall.objects.filter(method__in=WRITES).exclude(operation__startswith="token")
               .order_by("pk").values_list("operation", "path")[writes:])
    assert new == []


def test_deal_to_cash_walkthrough_as_written(demo):
    person, admin = demo
    sf = "/sandbox/salesforce"
    # 2. an Account, then a Contact for it with an e-mail
    person.post(f"{sf}/accounts/", {"Name": "Initech"})
    (account,) = _sf("Account", Name="Initech")
    workers_settle()
    person.post(f"{sf}/contacts/", {"FirstName": "Bill", "LastName": "Lumbergh", "Email": "bill@initech.test",
                                    "AccountId": account["Id"]})
    (contact,) = _sf("Contact", Email="bill@initech.test")
    workers_settle()
    # 3. an Opportunity with two products and the contact as primary contact role
    person.post(f"{sf}/opportunities/", {"Name": "Initech deal", "AccountId": account["Id"],
                                         "StageName": "Prospecting", "CloseDate": "2026-06-30"})
    (opp,) = _sf("Opportunity", Name="Initech deal")
    entries = {e["Name"]: e["Id"] for e in _sf("PricebookEntry")}
    for name, quantity, price in (("Consulting hour", "4", "150"), ("Implementation package", "1", "4800")):
        entry = next(i for n, i in entries.items() if name in (n or ""))
        person.post(f"{sf}/opportunities/{opp['Id']}/", {"action": "product", "PricebookEntryId": entry,
                                                         "Quantity": quantity, "UnitPrice": price})
    person.post(f"{sf}/opportunities/{opp['Id']}/", {"action": "contact", "ContactId": contact["Id"], "IsPrimary": "on"})
    workers_settle()
    # 4. Closed Won: the invoice's number is on the Opportunity
    person.post(f"{sf}/opportunities/{opp['Id']}/", {"action": "stage", "StageName": "Closed Won"})
    workers_settle()
    (won,) = _sf("Opportunity", Name="Initech deal")
    assert won.get("FreshBooks_Invoice_Number__c")
    # 5. one client, with the contact's e-mail, and the draft invoice for it
    (client,) = _fb("client", organization="Initech")
    assert (client["email"], client["fname"]) == ("bill@initech.test", "Bill")
    (invoice,) = _fb("invoice")
    assert invoice["customerid"] == client["id"] and invoice["amount"]["amount"] == "5400.00"
    assert str(invoice["id"]) == won["FreshBooks_Invoice_Id__c"]
    # a Salesforce-only customer stays out of Infor M3 (the other demo), saying so
    assert not Customer.objects.filter(cunm__icontains="Initech").exists()
    skipped = SyncItem.objects.filter(flow__name="freshbooks-client-to-infor-customer",
                                      source_id=str(client["id"])).latest("pk")
    assert skipped.status == "skipped" and "Salesforce Account" in skipped.last_error
    # 6. a payment: the Opportunity follows
    account_id = SimAccount.objects.get().account_id
    person.post(f"/sandbox/freshbooks/accounts/{account_id}/invoice/{invoice['id']}/",
                {"action": "pay", "pay_amount": "400.00", "pay_date": "2026-07-01"})
    workers_settle()
    (won,) = _sf("Opportunity", Name="Initech deal")
    assert won["Payment_Status__c"] == "Partial" and won["Amount_Paid__c"] == 400
    # both payment flows read the payment: neither shows "Failed, will retry" first (issue 16)
    payments = SyncItem.objects.filter(source_object="payment")
    assert {i.flow.name for i in payments} == {"fb-payment-to-sf-opportunity", "freshbooks-payment-to-infor"}
    assert not SyncAttempt.objects.filter(sync_item__in=payments).exclude(outcome__in=["succeeded", "skipped"]).exists()
    # 7. nothing dead; "Poll now" writes nothing
    assert not SyncItem.objects.filter(status="dead").exists()
    _poll_now_writes_nothing(admin)


def test_order_to_cash_walkthrough_as_written(demo):
    person, admin = demo
    # 1.–2. a Shopify order: four items, one client with e-mail, the invoice, the customer, the confirmed order
    person.post("/sandbox/shop/orders/", {"platform": "shopify", "first_name": "Ann", "last_name": "Buyer",
                                          "email": "ann@buyer.example", "company": "Buyer Ltd", "currency": "USD",
                                          "lines": "WIDGET-S, 2, 12.50\nSERVICE-H, 1, 95"})
    workers_settle()
    chain = list(SyncItem.objects.filter(flow__name="order-to-cash-shopify").order_by("pk"))
    assert [i.status for i in chain] == ["succeeded"] * 4
    (client,) = _fb("client", email="ann@buyer.example")
    (invoice,) = _fb("invoice")
    assert invoice["customerid"] == client["id"]
    assert invoice["po_number"].isdigit()  # the order number finance searches for, not "#1001"
    (order,) = Order.objects.all()
    assert order.stage == "confirmed" and order.cuor == invoice["invoice_number"]
    # the shop's customer stays out of Salesforce (the other demo), and the reason says so
    assert not _sf("Account", Name="Buyer Ltd")
    skipped = SyncItem.objects.filter(flow__name="fb-client-to-sf-account", source_id=str(client["id"])).latest("pk")
    assert skipped.status == "skipped" and "Shopify customer" in skipped.last_error
    assert "echo" not in skipped.last_error.lower()
    # 6. SKU GADGET-9: dead with M3's message; map it, replay that one item: one more order, no stray batch
    person.post("/sandbox/shop/orders/", {"platform": "shopify", "first_name": "Ann", "last_name": "Buyer",
                                          "email": "ann@buyer.example", "company": "Buyer Ltd", "currency": "USD",
                                          "lines": "WIDGET-S, 1, 12.50\nGADGET-9, 1, 10"})
    workers_settle()
    (dead,) = SyncItem.objects.filter(status="dead")
    assert "GADGET-9" in dead.last_error and dead.step == "infor_order"
    # README: the row goes into the table's draft, then the draft is published
    table = value_table_draft_open(table=ValueTable.objects.get(name="freshbooks-item-to-infor-item"))
    table.draft_entries.create(source_value="GADGET-9", target_value="WIDGET-L")
    value_table_publish(table=table)
    answer = admin.post("/admin/integrations/syncitem/", {"action": "replay", "_selected_action": [dead.pk],
                                                          "post": "yes"})
    assert answer.status_code in (200, 302)
    workers_settle()
    dead.refresh_from_db()
    assert dead.status == "succeeded", dead.last_error
    assert Order.objects.filter(stage="confirmed").count() == 2 and not Order.objects.exclude(stage="confirmed").exists()
    assert not SyncItem.objects.filter(status="dead").exists()
    _poll_now_writes_nothing(admin)

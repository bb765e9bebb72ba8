"""Salesforce deletes over real HTTP: what flows 1–3 do with a deleted Account or Opportunity,
and the poll's getDeleted (a delete the change events missed; one they delivered, handled once)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.connectors.salesforce.replication import utc_minute
from integrations.operations.backfill import flow_backfill
from integrations.models import Binding, Cursor, Flow, SyncItem
from integrations.triggers.polling import flow_poll
from integrations.sandbox.freshbooks.models import SimObject
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.events import deliveries_drain
from integrations.sandbox.salesforce.models import SfDeleteLog, SfRecord
from integrations.sync.engine import sync_item_process
from integrations.sync.routing import inbound_events_route_pending
from monitoring.models import ApiCall, Finding
from tests.sandbox.salesforce.fixtures import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
TO_FB, TO_SF, OPP_FLOW = "sf-account-to-fb-client", "fb-client-to-sf-account", "sf-opportunity-to-fb-invoice"


def fb_vis_state(object_id) -> int:
    return SimObject.objects.get(pk=object_id).vis_state


def writes() -> int:
    return ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).count()


def linked_account(world, name="Globex Corporation", email="ann@globex.test") -> tuple[str, dict]:
    account = world.sf_create("Account", {"Name": name, "BillingCity": "Springfield"})
    world.sf_create("Contact", {"FirstName": "Ann", "LastName": "Lee", "Email": email, "AccountId": account})
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    [client] = world.fb_objects("client", organization=name)
    return account, client


def invoiced_opportunity(world, **kwargs) -> tuple[str, dict]:
    opp = world.won_opportunity(**kwargs)
    assert world.run(OPP_FLOW, "Opportunity", opp).status == S.SUCCEEDED
    [invoice] = [i for i in world.fb_objects("invoice") if i["po_number"] == opp]
    return opp, invoice


def deleted_minutes_ago(sf_id: str, minutes: int) -> None:
    """getDeleted covers whole minutes up to now: age a delete so a poll now can see it."""
    SfDeleteLog.objects.filter(sf_id=sf_id).update(deleted_at=utc_minute(timezone.now()) - timedelta(minutes=minutes))


def process_open() -> None:
    inbound_events_route_pending()  # what the route task does with the delivered change events
    for item in SyncItem.objects.filter(status=S.PENDING):
        sync_item_process(item_id=item.pk)


# -- flow 1: Account → client -------------------------------------------------------------------
def test_account_deleted_leaves_the_client_and_unlinks_the_account(world):
    account, client = linked_account(world)
    world.sf_delete("Account", account)
    before = writes()
    item = world.run(TO_FB, "Account", account, action="delete")
    assert item.status == S.SKIPPED and item.attempts == 1
    assert item.last_error == f"Salesforce Account {account} was deleted; FreshBooks client {client['id']} is left as is."
    assert writes() == before and fb_vis_state(client["id"]) == 0
    # the Account and its primary Contact (deleted with it) are no longer linked; the client keeps a note
    client_binding = Binding.objects.get(object_type="client")
    assert not Binding.objects.filter(entity=client_binding.entity, connection=world.sf_connection).exists()
    assert client_binding.extra["salesforce_deleted"]["external_id"] == account and item.entity == client_binding.entity
    # a change to the client in FreshBooks does not create the deleted Account again
    world.fb_update("client", client["id"], {"p_city": "Shelbyville"})
    back = world.run(TO_SF, "client", client["id"])
    assert back.status == S.SKIPPED and f"was linked to Salesforce Account {account} was deleted" in back.last_error
    assert world.sf_records("Account") == [] and writes() == before
    # a new Account for the same company is matched to the client, and the link works both ways again
    again, _ = linked_account(world)
    assert Binding.objects.get(object_type="Account").external_id == again
    assert "salesforce_deleted" not in Binding.objects.get(object_type="client").extra
    world.fb_update("client", client["id"], {"p_city": "Capital City"})
    assert world.run(TO_SF, "client", client["id"]).status == S.SUCCEEDED
    assert world.sf_record(again)["BillingCity"] == "Capital City"


def test_account_deleted_archives_the_client_when_set_and_unarchives_when_linked_again(world):
    Flow.objects.filter(name=TO_FB).update(settings={"on_account_deleted": "archive"})
    account, client = linked_account(world)
    world.sf_delete("Account", account)
    item = world.run(TO_FB, "Account", account, action="delete")
    assert item.status == S.SUCCEEDED and item.result["action"] == "archived", item.last_error
    assert item.result["reason"] == f"Salesforce Account {account} was deleted; FreshBooks client {client['id']} is " \
                                    "archived (on_account_deleted)."
    assert fb_vis_state(client["id"]) == 2  # archived: hidden, restorable, nothing lost
    linked_account(world)
    assert fb_vis_state(client["id"]) == 0 and len(world.fb_objects("client")) == 1
    # a client someone already deleted in FreshBooks is not brought back as archived
    other, deleted = linked_account(world, name="Initech", email="bill@initech.test")
    world.fb_update("client", deleted["id"], {"vis_state": 1})
    world.sf_delete("Account", other)
    item = world.run(TO_FB, "Account", other, action="delete")
    assert item.status == S.SKIPPED and item.last_error.endswith("is left as is (it was already deleted in FreshBooks).")
    assert fb_vis_state(deleted["id"]) == 1


def test_a_wrong_delete_setting_is_a_readable_dead_letter(world):
    account, client = linked_account(world)
    Flow.objects.filter(name=TO_FB).update(settings={"on_account_deleted": "delete"})
    world.sf_delete("Account", account)
    item = world.run(TO_FB, "Account", account, action="delete")
    assert item.status == S.DEAD and item.last_error_field == "on_account_deleted"
    assert item.last_error.startswith("Flow setting on_account_deleted is 'delete'; it must be one of: leave, archive.")
    assert fb_vis_state(client["id"]) == 0


def test_a_client_deleted_in_freshbooks_leaves_the_account(world):
    account, client = linked_account(world)
    world.fb_update("client", client["id"], {"vis_state": 1})
    item = world.run(TO_SF, "client", client["id"], action="delete")
    assert item.status == S.SKIPPED
    assert item.last_error == f"FreshBooks client {client['id']} was deleted; the Salesforce Account is left as is."
    assert world.sf_record(account)["Name"] == "Globex Corporation"


def test_a_delete_of_a_record_that_exists_again_or_was_never_linked_is_skipped_saying_so(world):
    account, _ = linked_account(world)
    restored = world.run(TO_FB, "Account", account, action="delete")  # e.g. deleted, then restored
    assert restored.status == S.SKIPPED and "has been restored since" in restored.last_error
    assert Binding.objects.filter(object_type="Account", external_id=account).exists()
    never = world.sf_create("Account", {"Name": "Never synced"})
    world.sf_delete("Account", never)
    item = world.run(TO_FB, "Account", never, action="delete")
    assert item.status == S.SKIPPED and "never linked to a FreshBooks client" in item.last_error


# -- flow 2: Opportunity → invoice, and flow 3 after it -------------------------------------------
def test_opportunity_deleted_never_touches_its_invoice_and_asks_finance(world):
    opp, invoice = invoiced_opportunity(world)
    world.sf_delete("Opportunity", opp)
    before = writes()
    item = world.run(OPP_FLOW, "Opportunity", opp, action="delete")
    assert item.status == S.SKIPPED
    assert item.last_error == (f"Salesforce Opportunity {opp} was deleted; FreshBooks invoice {invoice['invoice_number']} "
                               "(draft) is left as is: Ledgerlink never deletes invoices. If the sale is off, void the "
                               "invoice or issue a credit note in FreshBooks.")
    assert writes() == before and fb_vis_state(invoice["id"]) == 0
    finding = Finding.objects.get(check_name="opportunity_deleted")
    assert finding.status == Finding.Status.OPEN and invoice["invoice_number"] in finding.title
    assert finding.records[0]["external_id"] == str(invoice["id"])
    # a payment on the invoice afterwards: flow 3 says why there is nothing to update
    payment = world.pay(invoice["id"], "100.00")
    paid = world.run("fb-payment-to-sf-opportunity", "payment", payment)
    assert paid.status == S.SKIPPED and f"made for Salesforce Opportunity {opp} was deleted" in paid.last_error


def test_opportunity_deleted_archives_a_draft_when_set_but_never_a_sent_invoice(world):
    Flow.objects.filter(name=OPP_FLOW).update(settings={"on_opportunity_deleted": "archive_draft"})
    draft_opp, draft = invoiced_opportunity(world)
    sent_opp, sent = invoiced_opportunity(world, account="Initech", email="bill@initech.test")
    world.fb.invoices.mark_as_sent(sent["id"])
    for opp in (draft_opp, sent_opp):
        world.sf_delete("Opportunity", opp)
    archived = world.run(OPP_FLOW, "Opportunity", draft_opp, action="delete")
    assert archived.status == S.SUCCEEDED and archived.result["action"] == "archived", archived.last_error
    assert fb_vis_state(draft["id"]) == 2
    kept = world.run(OPP_FLOW, "Opportunity", sent_opp, action="delete")
    state = world.fb.invoices.get(sent["id"])["v3_status"]  # sent, or overdue by now
    assert kept.status == S.SKIPPED and f"invoice {sent['invoice_number']} ({state}) is left as is" in kept.last_error
    assert fb_vis_state(sent["id"]) == 0
    assert [f.details["opportunity"] for f in Finding.objects.filter(check_name="opportunity_deleted")] == [sent_opp]


# -- the poll's getDeleted, and change events -------------------------------------------------------
def test_poll_finds_deletes_the_change_events_missed(world):
    account, client = linked_account(world)
    unlinked = world.sf_create("Account", {"Name": "Never synced"})
    for record_id in (account, unlinked):
        world.sf_delete("Account", record_id)
        deleted_minutes_ago(record_id, 3)
    report = flow_poll(flow=Flow.objects.get(name=TO_FB))
    assert (report.enqueued, report.not_linked, report.error) == (1, 1, ""), report.sentence()
    process_open()
    item = SyncItem.objects.get(source_id=account, action="delete")
    assert item.status == S.SKIPPED and item.hint["reason"] == "poll"
    assert item.last_error == f"Salesforce Account {account} was deleted; FreshBooks client {client['id']} is left as is."
    covered = Cursor.objects.get(flow__name=TO_FB, stream="poll-deleted").value
    assert covered and covered <= timezone.now().isoformat()


def test_poll_starts_each_window_at_latest_date_covered(world):
    first, _ = linked_account(world)
    second, _ = linked_account(world, name="Initech", email="bill@initech.test")
    world.sf_delete("Account", first)
    world.sf_delete("Account", second)
    deleted_minutes_ago(first, 10)
    deleted_minutes_ago(second, 3)
    sim.org_configure(replication_lag_minutes=7)  # the second delete is still in flight for Salesforce
    flow = Flow.objects.get(name=TO_FB)
    assert flow_poll(flow=flow).enqueued == 1
    sim.org_configure(replication_lag_minutes=0)
    later = flow_poll(flow=flow, now=timezone.now() + timedelta(minutes=2))  # the next window, from the covered date
    assert later.enqueued == 1 and later.already_synced == 0, later.sentence()
    assert sorted(SyncItem.objects.filter(action="delete").values_list("source_id", flat=True)) == sorted([first, second])


def test_a_delete_delivered_by_change_event_then_polled_is_handled_once(world, live_server):
    opp, invoice = invoiced_opportunity(world)
    sim.subscription_ensure(endpoint=f"{live_server.url}/api/webhooks/salesforce/{world.sf_connection.pk}/",
                            secret=WEBHOOK_SECRET)
    world.sf_delete("Opportunity", opp)
    assert deliveries_drain()["failed"] == 0
    process_open()
    [item] = SyncItem.objects.filter(source_id=opp, action="delete")
    assert item.status == S.SKIPPED and item.inbound_event.event_type == "Opportunity.DELETE"
    assert invoice["invoice_number"] in item.last_error
    deleted_minutes_ago(opp, 3)
    report = flow_poll(flow=Flow.objects.get(name=OPP_FLOW))
    assert (report.enqueued, report.already_synced, report.not_linked) == (0, 1, 0), report.sentence()
    assert SyncItem.objects.filter(source_id=opp, action="delete").count() == 1
    assert Finding.objects.filter(check_name="opportunity_deleted").count() == 1


def test_poll_records_deletes_it_can_no_longer_read(world):
    account, _ = linked_account(world)
    flow = Flow.objects.get(name=TO_FB)
    Cursor.objects.create(connection=world.sf_connection, flow=world.flow(TO_FB), stream="poll-deleted",
                          value=(timezone.now() - timedelta(days=20)).isoformat())
    world.sf_delete("Account", account)
    deleted_minutes_ago(account, 3)
    report = flow_poll(flow=flow)
    assert report.enqueued == 1 and "could no longer be read" in report.sentence()
    gap = Finding.objects.get(check_name="salesforce_deletes_unread")
    assert "Salesforce keeps Account deletes for 15 days only" in gap.explanation and "reconciliation" in gap.explanation


# -- payments deleted, backfills meeting deletes, polls meeting gaps and restores ------------------------
def test_a_deleted_freshbooks_payment_recomputes_the_opportunity(world):
    opp, invoice = invoiced_opportunity(world)
    payment = world.pay(invoice["id"], "40.00")
    assert world.run("fb-payment-to-sf-opportunity", "payment", payment).status == S.SUCCEEDED
    assert world.sf_record(opp)["Payment_Status__c"] == "Partial"
    world.fb_update("payment", payment, {"vis_state": 1})
    gone = world.run("fb-payment-to-sf-opportunity", "payment", payment, action="delete")
    assert gone.status in (S.SUCCEEDED, S.SKIPPED) and gone.attempts == 1, gone.last_error


def test_the_client_backfill_does_not_give_a_client_its_deleted_account_again(world):
    account, client = linked_account(world)
    world.sf_delete("Account", account)
    assert world.run(TO_FB, "Account", account, action="delete").status == S.SKIPPED
    summary = flow_backfill(flow=Flow.objects.get(name=TO_SF))
    assert summary.counts["created"] == 0 and world.sf_records("Account") == [], summary.sentence()
    skipped = SyncItem.objects.filter(flow__name=TO_SF, source_id=str(client["id"])).latest("pk")
    assert skipped.status == S.SKIPPED and "does not create it again" in skipped.last_error


def test_a_poll_meeting_two_gaps_in_a_row_still_moves_on(world):
    linked_account(world)
    flow = Flow.objects.get(name=TO_FB)
    Cursor.objects.create(connection=world.sf_connection, flow=world.flow(TO_FB), stream="poll-deleted",
                          value=(timezone.now() - timedelta(days=20)).isoformat())
    sim.delete_log_purge(before=timezone.now() - timedelta(days=5))  # past the 15-day limit, then purged too
    report = flow_poll(flow=flow)
    assert report.error == "" and "could no longer be read" in report.sentence(), report.sentence()
    assert Cursor.objects.get(flow__name=TO_FB, stream="poll-deleted").value > (timezone.now() - timedelta(days=1)).isoformat()
    assert Cursor.objects.get(flow__name=TO_FB, stream="poll").value  # the change half advanced with it
    assert Finding.objects.filter(check_name="salesforce_deletes_unread").exists()


def test_a_record_deleted_and_restored_within_one_poll_keeps_its_change(world):
    account, client = linked_account(world)
    world.sf_delete("Account", account)
    deleted_minutes_ago(account, 3)
    SfRecord.objects.filter(sf_id=account).update(is_deleted=False, deleted_at=None)  # restored from the recycle bin
    world.sf_update("Account", account, {"BillingCity": "Capital City"})
    report = flow_poll(flow=Flow.objects.get(name=TO_FB))
    assert report.error == "", report.sentence()
    process_open()
    assert not SyncItem.objects.filter(source_id=account, action="delete").exists()
    assert SimObject.objects.get(pk=client["id"]).data["p_city"] == "Capital City"


def test_the_payments_backfill_skips_an_invoice_whose_opportunity_was_deleted_and_goes_on(world):
    gone, gone_invoice = invoiced_opportunity(world, account="Gone Co", email="ap@gone.test")
    kept, kept_invoice = invoiced_opportunity(world, account="Kept Co", email="ap@kept.test")
    for invoice in (gone_invoice, kept_invoice):
        world.pay(invoice["id"], "10.00")
    world.sf_delete("Opportunity", gone)
    assert world.run(OPP_FLOW, "Opportunity", gone, action="delete").status == S.SKIPPED
    summary = flow_backfill(flow=Flow.objects.get(name="fb-payment-to-sf-opportunity"))
    assert summary.counts["skipped"] >= 1 and summary.counts["failed"] == 0, summary.sentence()
    assert world.sf_record(kept)["Payment_Status__c"] == "Partial"


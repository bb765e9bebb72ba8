"""Flow 1's batched backfill (FreshBooks clients → Salesforce Accounts + primary Contacts) over
real HTTP against both simulators: Collections writes, match before create, per-record
failures, conflicts, resume after an interruption, dry run, echo suppression."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from integrations.flows.client_account import backfill as backfill_clients
from integrations.operations.backfill import flow_backfill
from integrations.flows.client_account.handler import ClientToAccountFlow
from integrations.errors import SkippableError
from integrations.models import Binding, Cursor, Flow, SyncItem
from integrations.sync.engine import sync_item_process
from integrations.locking import binding_lock
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
TO_SF, TO_FB = "fb-client-to-sf-account", "sf-account-to-fb-client"


def sf_calls() -> list[str]:
    return sorted(ApiCall.objects.filter(system="salesforce").values_list("operation", flat=True))


def writes() -> int:
    return ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).count()


def clients(world, count: int, start: int = 0, **extra) -> list[int]:
    return [world.fb_create("client", {"organization": f"Backfill {n:03d} Ltd", "fname": "Pat", "lname": f"Payer{n}",
                                       "email": f"ap{n}@bf{n}.test", "p_city": "Springfield", **extra})
            for n in range(start, start + count)]


def backfill(**kwargs):
    return flow_backfill(flow=Flow.objects.get(name=TO_SF), **kwargs)


def accounts_by_client(world) -> Counter:
    return Counter(a["FreshBooks_Client_Id__c"] for a in world.sf_records("Account") if a["FreshBooks_Client_Id__c"])


def test_450_clients_in_collections_matching_first_and_one_bad_value_failing_alone(world):
    ids = clients(world, 450)
    by_ref = world.sf_create("Account", {"Name": "Somebody Else", "FreshBooks_Client_Id__c": str(ids[5])})
    by_email = world.sf_create("Account", {"Name": "Another Name"})
    world.sf_create("Contact", {"LastName": "Old", "Email": "AP10@BF10.test", "AccountId": by_email})
    by_name = world.sf_create("Account", {"Name": "BACKFILL 020"})
    assert world.run(TO_SF, "client", ids[30]).status == S.SUCCEEDED  # synced once already by the engine
    world.fb_update("client", ids[40], {"bus_phone": "+1 555 0100 extension 12345678901234567890"})  # > 40 characters
    ApiCall.objects.all().delete()

    summary = backfill()

    assert summary.counts == {"created": 445, "updated": 0, "matched": 3, "skipped": 1, "queued": 0, "failed": 1}, summary.failures
    # per 200 clients: match queries (references, emails, names), the Contacts to match, one
    # Collections create per object, and updates where Accounts (and a Contact) were matched
    assert sf_calls() == sorted(["query"] * 12 + ["collections.create"] * 6 + ["collections.update"] * 2)
    assert not ApiCall.objects.filter(system="salesforce", operation__regex=r"^(Account|Contact)\.").exists()
    # every client has exactly one Account (the bad one none), found or made
    assert accounts_by_client(world) == Counter({str(i): 1 for i in ids if i != ids[40]})
    assert len(world.sf_records("Account")) == 449
    assert {a["Id"]: a["FreshBooks_Client_Id__c"] for a in world.sf_records("Account")
            if a["Id"] in (by_ref, by_email, by_name)} == {by_ref: str(ids[5]), by_email: str(ids[10]),
                                                           by_name: str(ids[20])}
    [contact] = [c for c in world.sf_records("Contact") if c["AccountId"] == by_email]  # updated, not a second one
    assert (contact["LastName"], contact["Email"]) == ("Payer10", "ap10@bf10.test")
    assert len(world.sf_records("Contact")) == 449
    # the bad value fails alone, with Salesforce's reason
    bad = SyncItem.objects.get(source_id=str(ids[40]), hint__reason="backfill")
    assert bad.status == S.DEAD and "Phone: data value too large" in bad.last_error, bad.last_error
    assert "while creating the target record" in bad.last_error
    assert summary.failures == [f"{ids[40]}: {bad.last_error}"]
    items = SyncItem.objects.filter(hint__reason="backfill")
    assert Counter(items.values_list("status", flat=True)) == {S.SUCCEEDED: 449, S.DEAD: 1}
    assert Counter(i.result["action"] for i in items if i.status == S.SUCCEEDED) == \
        {"created": 445, "matched": 3, "unchanged": 1}
    assert Cursor.objects.get(flow__name=TO_SF, stream="backfill").value

    # echo suppression: our writes coming back (Account change, client re-sent) write nothing
    account = items.get(source_id=str(ids[100])).target_external_id
    before = writes()
    echo = world.run(TO_FB, "Account", account)
    assert echo.status == S.SKIPPED and "Echo of our own write" in echo.last_error
    assert world.run(TO_SF, "client", ids[100]).result["action"] == "unchanged"
    assert writes() == before


def test_resumes_after_an_interruption_without_writing_twice(world):
    ids = clients(world, 250)
    assert world.backfill_stopped_after_first_chunk(TO_SF) == [200]
    assert len(accounts_by_client(world)) == 200
    assert Cursor.objects.get(flow__name=TO_SF, stream="backfill").value == ""
    ApiCall.objects.all().delete()

    summary = backfill()

    assert summary.counts == {"created": 50, "updated": 0, "matched": 0, "skipped": 200, "queued": 0, "failed": 0}
    # the 200 done cost no Salesforce call; the other 50 one chunk's worth
    assert sf_calls() == sorted(["query"] * 4 + ["collections.create"] * 2)
    assert accounts_by_client(world) == Counter({str(i): 1 for i in ids})
    assert len(world.sf_records("Contact")) == 250
    assert Cursor.objects.get(flow__name=TO_SF, stream="backfill").value


def test_a_crash_between_accounts_and_contacts_is_finished_by_the_next_run(world, monkeypatch):
    ids = clients(world, 5)
    real = backfill_clients.contacts_find

    def crash(*args):
        monkeypatch.setattr(backfill_clients, "contacts_find", real)
        raise RuntimeError("worker killed after the Accounts were written")

    monkeypatch.setattr(backfill_clients, "contacts_find", crash)
    with pytest.raises(RuntimeError):
        backfill()
    assert len(world.sf_records("Account")) == 5 and world.sf_records("Contact") == []
    ApiCall.objects.all().delete()

    summary = backfill()

    assert summary.counts["skipped"] == 5 and summary.counts["failed"] == 0
    assert sf_calls() == ["collections.create", "query"]  # the Contacts only
    assert accounts_by_client(world) == Counter({str(i): 1 for i in ids})
    assert sorted(c["AccountId"] for c in world.sf_records("Contact")) == sorted(a["Id"] for a in world.sf_records("Account"))


def test_dry_run_decides_and_writes_nothing(world, capsys):
    clients(world, 4)
    world.sf_create("Account", {"Name": "Backfill 002"})
    ApiCall.objects.all().delete()
    call_command("backfill", "--flow", TO_SF, "--dry-run")
    out = capsys.readouterr().out
    assert "3 would be created" in out and "1 would be matched" in out, out
    assert writes() == 0 and set(sf_calls()) == {"query"}
    assert not SyncItem.objects.exists() and not Binding.objects.filter(object_type="client").exists()
    assert Cursor.objects.get(flow__name=TO_SF, stream="backfill").value == ""
    assert len(world.sf_records("Account")) == 1


def test_duplicates_are_never_created_or_guessed(world):
    first, twin = (world.fb_create("client", {"organization": name, "email": "ap@twins.test", "lname": "Twin"})
                   for name in ("Twins One", "Twins Two"))
    linked = world.fb_create("client", {"organization": "Linked Co", "email": "a@linked.test"})
    assert world.run(TO_SF, "client", linked).status == S.SUCCEEDED
    again = world.fb_create("client", {"organization": "LINKED CO.", "email": "b@linked.test"})

    summary = backfill()

    assert summary.counts == {"created": 1, "updated": 0, "matched": 0, "skipped": 1, "queued": 0, "failed": 2}, summary.failures
    assert accounts_by_client(world) == Counter({str(first): 1, str(linked): 1})
    reasons = dict(SyncItem.objects.filter(status=S.DEAD).values_list("source_id", "last_error"))
    assert f"being created for FreshBooks client {first}" in reasons[str(twin)]
    assert f"already linked to client {linked}" in reasons[str(again)]


def test_changed_on_both_sides_follows_the_conflict_policy(world):
    [client] = clients(world, 1)
    account = world.run(TO_SF, "client", client).target_external_id
    world.sf_update("Account", account, {"Name": "Backfill Renamed In Salesforce"})
    world.fb_update("client", client, {"organization": "Backfill Renamed In FreshBooks", "p_city": "Shelbyville"})
    ApiCall.objects.all().delete()

    summary = backfill()

    assert summary.counts["updated"] == 1, summary.failures
    # the Account and its Contact (MailingCity changed) read for the policy, then written
    assert sf_calls() == ["collections.update", "collections.update", "query", "query"]
    record = world.sf_record(account)
    assert (record["Name"], record["BillingCity"]) == ("Backfill Renamed In Salesforce", "Shelbyville")
    item = SyncItem.objects.get(hint__reason="backfill")
    assert item.result["conflict_decided"] == {"Name": "target"}


def test_a_client_being_synced_by_a_worker_is_queued_again_not_written_twice(world):
    ids = clients(world, 3)
    handler = ClientToAccountFlow(Flow.objects.get(name=TO_SF))
    key = handler.lock_key(SyncItem(source_object="client", source_id=str(ids[1])))
    held, release = threading.Event(), threading.Event()

    def worker():  # another worker, on its own database connection, syncing that client
        try:
            with binding_lock(key):
                held.set()
                release.wait(60)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert held.wait(60)
    try:
        summary = backfill()
    finally:
        release.set()
        thread.join(60)

    assert summary.counts == {"created": 2, "updated": 0, "matched": 0, "skipped": 0, "queued": 1, "failed": 0}
    assert accounts_by_client(world) == Counter({str(ids[0]): 1, str(ids[2]): 1})
    queued = SyncItem.objects.get(source_id=str(ids[1]))
    assert queued.status == S.PENDING and "Another worker is syncing this record" in queued.last_error
    assert "Queued again" in summary.failures[0]
    sync_item_process(item_id=queued.pk)  # what a worker does with it
    queued.refresh_from_db()
    assert (queued.status, queued.result["action"]) == (S.SUCCEEDED, "created")
    assert accounts_by_client(world) == Counter({str(i): 1 for i in ids})


def test_a_rule_added_to_the_flows_map_step_holds_in_the_backfill_too(world, monkeypatch):
    """The backfill decides each client through the handler's own hooks, so the two paths
    cannot drift: a check added to the map step refuses the client in the backfill as well."""
    kept, refused = clients(world, 2)
    original = ClientToAccountFlow.payloads_unresolved

    def with_a_new_rule(self, item, source):
        if str(source["id"]) == str(refused):
            raise SkippableError("Refused by a rule of the map step.")
        return original(self, item, source)

    monkeypatch.setattr(ClientToAccountFlow, "payloads_unresolved", with_a_new_rule)

    summary = backfill()

    assert summary.counts["created"] == 1 and summary.counts["skipped"] == 1, summary.failures
    assert accounts_by_client(world) == Counter({str(kept): 1})
    assert "Refused by a rule" in SyncItem.objects.get(source_id=str(refused)).last_error

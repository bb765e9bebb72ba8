"""Flow 1's primary Contact under the conflict policy, over real HTTP against both simulators:
the client → Account direction checks the Contact with the Account (one decision, before
anything is written), the Account → client direction compares the Contact's own change time
and writes finance's pick back to it, the batched backfill decides the same, and the
Conflicts view shows and resolves Contact fields."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.operations.backfill import flow_backfill
from integrations.models import Binding, Flow, SyncItem
from integrations.operations.conflicts import conflict_resolve
from integrations.sandbox.freshbooks.models import SimObject
from integrations.sandbox.salesforce.models import SfRecord
from integrations.sandbox.salesforce.values import sf_datetime
from integrations.sync.engine import sync_item_process

pytestmark = pytest.mark.django_db(transaction=True)
S, P = SyncItem.Status, Flow.ConflictPolicy
TO_SF, TO_FB = "fb-client-to-sf-account", "sf-account-to-fb-client"


def linked_client(world, policy=P.FIELD_OWNER, *, flow=TO_SF):
    """A client with a person, synced to a new Account and primary Contact; returns the
    client, the Account and the Contact."""
    Flow.objects.filter(name=flow).update(conflict_policy=policy)
    client = world.fb_create("client", {"organization": "Umbrella", "fname": "Alice", "lname": "Abernathy",
                                        "email": "alice@umbrella.test", "p_city": "Raccoon"})
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED, item.last_error
    [contact] = world.sf_records("Contact")
    return client, item.target_external_id, contact["Id"]


def stamp(*, sf: dict | None = None, fb: dict | None = None) -> None:
    """Place each change minutes from now, clearly apart (FreshBooks stamps to the second):
    ``sf`` {record id: minutes} sets LastModifiedDate, ``fb`` {client id: minutes} ``updated``."""
    now = timezone.now()
    for sf_id, minutes in (sf or {}).items():
        record = SfRecord.objects.get(sf_id=sf_id)
        record.fields = {**record.fields, "LastModifiedDate": sf_datetime(now + timedelta(minutes=minutes))}
        record.save(update_fields=["fields"])
    for client, minutes in (fb or {}).items():
        SimObject.objects.filter(pk=client).update(updated_at=now + timedelta(minutes=minutes))


def contact_of(world, contact_id: str) -> dict:
    return world.sf_record(contact_id)


def client_of(world, client: int) -> dict:
    return SimObject.objects.get(pk=client).data


# -- client → Account: the Contact alone -----------------------------------------------------------
def test_field_owner_decides_contact_fields_freshbooks_the_email_salesforce_the_name(world):
    client, account, contact = linked_client(world)
    world.sf_update("Contact", contact, {"Email": "alice@sf.test", "FirstName": "Ally"})
    world.fb_update("client", client, {"email": "billing@umbrella.test", "fname": "Alicia"})
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED, item.last_error
    assert item.result["conflict_decided"] == {"Contact.Email": "source", "Contact.FirstName": "target"}
    record = contact_of(world, contact)
    assert (record["Email"], record["FirstName"], record["LastName"]) == ("billing@umbrella.test", "Ally", "Abernathy")
    assert len(world.sf_records("Contact")) == 1


@pytest.mark.parametrize("sf_minutes, expected", [(5, "alice@sf.test"), (-5, "billing@umbrella.test")])
def test_newest_wins_compares_the_contacts_change_with_the_clients(world, sf_minutes, expected):
    client, account, contact = linked_client(world, P.NEWEST_WINS)
    world.sf_update("Contact", contact, {"Email": "alice@sf.test"})
    world.fb_update("client", client, {"email": "billing@umbrella.test"})
    stamp(sf={contact: sf_minutes}, fb={client: 0})
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED, item.last_error
    assert item.result["conflict_decided"] == {"Contact.Email": "target" if sf_minutes > 0 else "source"}
    assert contact_of(world, contact)["Email"] == expected
    # the Account's change time plays no part: it did not change
    assert world.sf_record(account)["Name"] == "Umbrella"


def test_review_holds_a_contact_conflict_and_finance_picks_in_the_conflicts_view(world, admin_user, client):
    fb_client, account, contact = linked_client(world, P.REVIEW)
    world.sf_update("Contact", contact, {"Email": "alice@sf.test"})
    world.fb_update("client", fb_client, {"email": "billing@umbrella.test", "p_city": "Raccoon City"})
    item = world.run(TO_SF, "client", fb_client)
    assert item.status == S.HELD and "Contact Email" in item.last_error, item.last_error
    # nothing written to either record while it waits
    assert contact_of(world, contact)["Email"] == "alice@sf.test"
    assert world.sf_record(account)["BillingCity"] == "Raccoon"
    [row] = item.result["conflict"]["fields"]
    assert (row["field"], row["record"], row["record_id"], row["label"]) == ("Contact.Email", "Contact", contact, "Email")
    assert (row["last"], row["ours"], row["theirs"]) == ("alice@umbrella.test", "billing@umbrella.test", "alice@sf.test")

    client.force_login(admin_user)
    assert "Contact Email" in client.get("/admin/integrations/conflict/").content.decode()
    html = client.get(f"/admin/integrations/conflict/{item.pk}/resolve/").content.decode()
    assert f"<td>Contact {contact}</td>" in html and "<strong>Email</strong>" in html
    assert 'name="pick:Contact.Email"' in html and "billing@umbrella.test" in html and "alice@sf.test" in html
    response = client.post(f"/admin/integrations/conflict/{item.pk}/resolve/", {"pick:Contact.Email": "target"})
    assert response.status_code == 302
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == {"Contact.Email": "target"}
    # both systems hold finance's pick; the rest of the change went through
    assert contact_of(world, contact)["Email"] == "alice@sf.test"
    assert client_of(world, fb_client)["email"] == "alice@sf.test"
    assert world.sf_record(account)["BillingCity"] == "Raccoon City"
    assert contact_of(world, contact)["MailingCity"] == "Raccoon City"
    # agreed now: the next change of the client alone is no conflict
    world.fb_update("client", fb_client, {"bus_phone": "555-0100"})
    after = world.run(TO_SF, "client", fb_client)
    assert after.status == S.SUCCEEDED and "conflict_decided" not in after.result, after.result
    assert (contact_of(world, contact)["Phone"], contact_of(world, contact)["Email"]) == ("555-0100", "alice@sf.test")


# -- client → Account: the Account and the Contact together --------------------------------------------
def account_and_contact_changed_on_both_sides(world, policy):
    """Both sides change the Account's name and the Contact's e-mail; in Salesforce the Account
    changed before the client did, the Contact after."""
    client, account, contact = linked_client(world, policy)
    world.sf_update("Account", account, {"Name": "Umbrella (Salesforce)"})
    world.sf_update("Contact", contact, {"Email": "alice@sf.test"})
    world.fb_update("client", client, {"organization": "Umbrella (FreshBooks)", "email": "billing@umbrella.test"})
    stamp(sf={account: -5, contact: 5}, fb={client: 0})
    return client, account, contact


# policy, fields decided, then the Account's name and the Contact's e-mail
MIXED = [(P.FIELD_OWNER, {"Name": "target", "Contact.Email": "source"}, "Umbrella (Salesforce)", "billing@umbrella.test"),
         # each record against its own change: the Account is older than the client, the Contact newer
         (P.NEWEST_WINS, {"Name": "source", "Contact.Email": "target"}, "Umbrella (FreshBooks)", "alice@sf.test")]


@pytest.mark.parametrize("policy, decided, name, email", MIXED)
def test_mixed_conflict_is_decided_per_field_over_both_records(world, policy, decided, name, email):
    client, account, contact = account_and_contact_changed_on_both_sides(world, policy)
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED, item.last_error
    assert item.result["conflict_decided"] == decided
    assert (world.sf_record(account)["Name"], contact_of(world, contact)["Email"]) == (name, email)


def test_mixed_conflict_review_is_one_decision_for_both_records(world):
    client, account, contact = linked_client(world, P.REVIEW)
    world.sf_update("Account", account, {"Name": "Umbrella (Salesforce)"})
    world.sf_update("Contact", contact, {"Email": "alice@sf.test", "LastName": "Abernathy-Smith"})
    world.fb_update("client", client, {"organization": "Umbrella (FreshBooks)", "email": "billing@umbrella.test",
                                       "lname": "Abernathy-Jones"})
    item = world.run(TO_SF, "client", client)
    assert item.status == S.HELD, item.last_error
    assert [(f["record"], f["field"]) for f in item.result["conflict"]["fields"]] == \
        [("Account", "Name"), ("Contact", "Contact.LastName"), ("Contact", "Contact.Email")]
    assert world.sf_record(account)["Name"] == "Umbrella (Salesforce)"  # nothing written yet
    # every field needs a pick
    _, message = conflict_resolve(item=item, choices={"Name": "source"})
    assert message == "Choose a value for every field: Contact.LastName, Contact.Email."
    item, message = conflict_resolve(item=item, choices={"Name": "source", "Contact.LastName": "source",
                                                         "Contact.Email": "target"})
    assert message.startswith("Decision saved"), message
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED, item.last_error
    record, person, fb = world.sf_record(account), contact_of(world, contact), client_of(world, client)
    assert (record["Name"], fb["organization"]) == ("Umbrella (FreshBooks)", "Umbrella (FreshBooks)")
    assert (person["LastName"], fb["lname"]) == ("Abernathy-Jones", "Abernathy-Jones")
    assert (person["Email"], fb["email"]) == ("alice@sf.test", "alice@sf.test")


# -- no false conflict ------------------------------------------------------------------------------------
def test_only_freshbooks_changed_the_contact_fields_is_no_conflict(world):
    client, account, contact = linked_client(world, P.REVIEW)
    world.fb_update("client", client, {"email": "billing@umbrella.test", "fname": "Alicia"})
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED and "conflict_decided" not in item.result, item.last_error
    record = contact_of(world, contact)
    assert (record["Email"], record["FirstName"]) == ("billing@umbrella.test", "Alicia")


def test_a_contact_change_synced_the_other_way_is_the_new_baseline(world):
    client, account, contact = linked_client(world, P.REVIEW)
    Flow.objects.filter(name=TO_FB).update(conflict_policy=P.REVIEW)
    # the e-mail is changed on the Contact only: the Account → client sync is no echo, and carries it
    world.sf_update("Contact", contact, {"Email": "alice@sf.test"})
    back = world.run(TO_FB, "Account", account)
    assert back.status == S.SUCCEEDED and back.result["action"] == "updated", back.last_error
    assert client_of(world, client)["email"] == "alice@sf.test"
    # then FreshBooks alone changes it again: what the Contact holds was agreed, so no conflict
    world.fb_update("client", client, {"email": "billing@umbrella.test"})
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED and "conflict_decided" not in item.result, item.last_error
    assert contact_of(world, contact)["Email"] == "billing@umbrella.test"
    assert len(world.sf_records("Contact")) == 1


def test_an_account_made_in_salesforce_binds_its_primary_contact_for_the_way_back(world):
    # made and synced in Salesforce → FreshBooks: the client → Account direction then checks that Contact
    Flow.objects.filter(name=TO_SF).update(conflict_policy=P.REVIEW)
    account = world.sf_create("Account", {"Name": "Globex Corporation"})
    contact = world.sf_create("Contact", {"FirstName": "Ann", "LastName": "Lee", "Email": "ann@globex.test",
                                          "AccountId": account})
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    [client] = world.fb_objects("client")
    assert Binding.objects.get(object_type="Contact").external_id == contact
    world.sf_update("Contact", contact, {"Email": "ann@sf.test"})
    world.fb_update("client", client["id"], {"email": "billing@globex.test"})
    item = world.run(TO_SF, "client", client["id"])
    assert item.status == S.HELD and [f["field"] for f in item.result["conflict"]["fields"]] == ["Contact.Email"]
    assert contact_of(world, contact)["Email"] == "ann@sf.test" and len(world.sf_records("Contact")) == 1


# -- Account → client: fields mapped from the Contact ---------------------------------------------------
@pytest.mark.parametrize("contact_minutes, expected", [(5, "alice@sf.test"), (-5, "billing@umbrella.test")])
def test_account_to_client_newest_wins_uses_the_contacts_change_time(world, contact_minutes, expected):
    client, account, contact = linked_client(world, flow=TO_FB, policy=P.NEWEST_WINS)
    world.sf_update("Account", account, {"Phone": "555-0100"})  # a change of the Account that is no conflict
    world.sf_update("Contact", contact, {"Email": "alice@sf.test"})
    world.fb_update("client", client, {"email": "billing@umbrella.test"})
    stamp(sf={account: -10, contact: contact_minutes}, fb={client: 0})
    item = world.run(TO_FB, "Account", account)
    assert item.status == S.SUCCEEDED, item.last_error
    assert item.result["conflict_decided"] == {"email": "source" if contact_minutes > 0 else "target"}
    assert client_of(world, client)["email"] == expected


def test_account_to_client_review_writes_finances_pick_back_to_the_contact(world):
    client, account, contact = linked_client(world, flow=TO_FB, policy=P.REVIEW)
    world.sf_update("Contact", contact, {"Email": "alice@sf.test", "FirstName": "Ally"})
    world.fb_update("client", client, {"email": "billing@umbrella.test", "fname": "Alicia"})
    item = world.run(TO_FB, "Account", account)
    assert item.status == S.HELD, item.last_error
    assert sorted(f["field"] for f in item.result["conflict"]["fields"]) == ["email", "fname"]
    item, message = conflict_resolve(item=item, choices={"email": "target", "fname": "source"})
    assert message.startswith("Decision saved"), message
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED, item.last_error
    person, fb = contact_of(world, contact), client_of(world, client)
    assert (person["Email"], fb["email"]) == ("billing@umbrella.test", "billing@umbrella.test")
    assert (person["FirstName"], fb["fname"]) == ("Ally", "Ally")
    # both sides agree: the client → Account direction finds nothing to decide
    world.fb_update("client", client, {"p_city": "Raccoon City"})
    Flow.objects.filter(name=TO_SF).update(conflict_policy=P.REVIEW)
    again = world.run(TO_SF, "client", client)
    assert again.status == S.SUCCEEDED and "conflict_decided" not in again.result, again.last_error


# -- the batched backfill decides the same ---------------------------------------------------------------
def backfill():
    return flow_backfill(flow=Flow.objects.get(name=TO_SF))


def test_backfill_holds_a_contact_conflict_under_review_and_writes_nothing(world):
    client, account, contact = linked_client(world, P.REVIEW)
    world.sf_update("Contact", contact, {"Email": "alice@sf.test"})
    world.fb_update("client", client, {"email": "billing@umbrella.test", "p_city": "Raccoon City"})
    summary = backfill()
    assert summary.counts["failed"] == 1, summary.counts
    item = SyncItem.objects.get(hint__reason="backfill")
    assert item.status == S.HELD and [f["field"] for f in item.result["conflict"]["fields"]] == ["Contact.Email"]
    assert contact_of(world, contact)["Email"] == "alice@sf.test"
    assert world.sf_record(account)["BillingCity"] == "Raccoon"


@pytest.mark.parametrize("policy, decided, name, email", MIXED)
def test_backfill_decides_a_mixed_conflict_as_the_engine_does(world, policy, decided, name, email):
    client, account, contact = account_and_contact_changed_on_both_sides(world, policy)
    summary = backfill()
    assert summary.counts["updated"] == 1, summary.failures
    item = SyncItem.objects.get(hint__reason="backfill")
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == decided
    assert (world.sf_record(account)["Name"], contact_of(world, contact)["Email"]) == (name, email)
    # the engine finds the pair decided: nothing more to write
    assert world.run(TO_SF, "client", client).result["action"] == "unchanged"


# -- echo: our own write coming back, or someone's later edit -----------------------------------------
def test_our_own_write_coming_back_is_an_echo(world):
    client, account, _ = linked_client(world)
    item = world.run(TO_FB, "Account", account)
    assert item.status == S.SKIPPED and item.last_error.startswith("Echo of our own write"), item.last_error


def test_an_edit_of_a_field_ledgerlink_never_wrote_is_no_echo(world):
    client, account, _ = linked_client(world)  # the client had no street: the Account was written without one
    world.sf_update("Account", account, {"BillingStreet": "1 Spencer Mansion"})
    stamp(sf={account: 5})  # clearly after our write
    item = world.run(TO_FB, "Account", account)
    assert item.status == S.SUCCEEDED, item.last_error
    assert (client_of(world, client)["p_street"], client_of(world, client)["p_city"]) == ("1 Spencer Mansion", "Raccoon")

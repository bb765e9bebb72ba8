"""Flow 1 both ways over real HTTP: matching, echo suppression, conflicts under each policy."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from integrations.models import Binding, Flow, SyncItem
from integrations.sandbox.freshbooks.models import SimObject
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
TO_FB, TO_SF = "sf-account-to-fb-client", "fb-client-to-sf-account"


def writes() -> int:
    return ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).count()


def account_with_contact(world, name="Globex Corporation", email="ann@globex.test"):
    account = world.sf_create("Account", {"Name": name, "BillingCity": "Springfield"})
    world.sf_create("Contact", {"FirstName": "Ann", "LastName": "Lee", "Email": email, "AccountId": account})
    return account


def test_account_creates_client_then_matches_never_duplicates(world):
    account = account_with_contact(world)
    item = world.run(TO_FB, "Account", account)
    assert item.status == S.SUCCEEDED and item.result["action"] == "created", item.last_error
    [client] = world.fb_objects("client")
    assert (client["organization"], client["fname"], client["email"], client["p_city"]) == \
        ("Globex Corporation", "Ann", "ann@globex.test", "Springfield")
    assert world.sf_record(account)["FreshBooks_Client_Id__c"] == str(client["id"])
    # a second Account for the same company (by email, then by normalised name) is matched, not created
    twin = account_with_contact(world, name="GLOBEX Corp.", email="ANN@globex.test")
    assert world.run(TO_FB, "Account", twin).status == S.DEAD  # already linked to the first Account's entity
    other = account_with_contact(world, name="Initech", email="bill@initech.test")
    existing = world.fb_create("client", {"organization": "Initech, Inc.", "email": "ap@initech.test"})
    matched = world.run(TO_FB, "Account", other)
    assert matched.result["action"] == "matched" and matched.target_external_id == str(existing)
    assert len(world.fb_objects("client")) == 2


def test_client_creates_account_and_primary_contact_and_matches_by_name(world):
    client = world.fb_create("client", {"organization": "Umbrella", "fname": "Alice", "lname": "Abernathy",
                                        "email": "alice@umbrella.test", "p_city": "Raccoon"})
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED, item.last_error
    account = world.sf_record(item.target_external_id)
    assert (account["Name"], account["BillingCity"], account["FreshBooks_Client_Id__c"]) == ("Umbrella", "Raccoon", str(client))
    [contact] = world.sf_records("Contact")
    assert (contact["LastName"], contact["Email"], contact["AccountId"]) == ("Abernathy", "alice@umbrella.test", account["Id"])
    acme = world.sf_create("Account", {"Name": "ACME Inc."})
    other = world.fb_create("client", {"organization": "Acme", "email": "x@acme.test"})
    assert world.run(TO_SF, "client", other).target_external_id == acme
    assert len(world.sf_records("Account")) == 2


def test_echo_of_our_own_writes_produces_no_writes(world):
    opp = world.won_opportunity()
    assert world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp).status == S.SUCCEEDED
    [client], [invoice] = world.fb_objects("client"), world.fb_objects("invoice")
    account = world.sf_record(opp)["AccountId"]
    before = writes()
    # what the webhooks / change events / polls of our own writes trigger:
    echo = world.run(TO_SF, "client", client["id"])
    assert echo.status == S.SKIPPED and "Echo of our own write" in echo.last_error
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    assert world.run("fb-invoice-to-sf-opportunity", "invoice", invoice["id"]).status == S.SUCCEEDED
    assert world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp).result["action"] == "unchanged"
    assert writes() == before


def _conflict(world, policy, *, fb_last=True):
    Flow.objects.filter(name=TO_FB).update(conflict_policy=policy)
    account = account_with_contact(world)
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    [client] = world.fb_objects("client")
    world.sf_update("Account", account, {"Name": "Globex (Salesforce)"})
    world.fb_update("client", client["id"], {"organization": "Globex (FreshBooks)"})
    # FreshBooks stamps changes to the second: place its change clearly before or after Salesforce's.
    sf_changed = datetime.fromisoformat(world.sf_record(account)["LastModifiedDate"].replace("+0000", "+00:00"))
    SimObject.objects.filter(pk=client["id"]).update(updated_at=sf_changed + timedelta(minutes=5 if fb_last else -5))
    return account, client["id"], world.run(TO_FB, "Account", account)


def test_conflict_field_owner_salesforce_owns_the_name(world):
    account, client, item = _conflict(world, Flow.ConflictPolicy.FIELD_OWNER)
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == {"organization": "source"}
    assert world.fb_objects("client")[0]["organization"] == "Globex (Salesforce)"


def test_conflict_field_owner_freshbooks_owns_the_billing_email(world):
    Flow.objects.filter(name=TO_FB).update(conflict_policy=Flow.ConflictPolicy.FIELD_OWNER)
    account = account_with_contact(world)
    world.run(TO_FB, "Account", account)
    [client] = world.fb_objects("client")
    [contact] = world.sf_records("Contact")
    world.sf_update("Contact", contact["Id"], {"Email": "new-sf@globex.test"})
    world.fb_update("client", client["id"], {"email": "billing@globex.test"})
    item = world.run(TO_FB, "Account", account)
    assert item.result["conflict_decided"] == {"email": "target"}
    assert world.fb_objects("client")[0]["email"] == "billing@globex.test"


@pytest.mark.parametrize("fb_last, expected", [(True, "Globex (FreshBooks)"), (False, "Globex (Salesforce)")])
def test_conflict_newest_change_wins(world, fb_last, expected):
    _, _, item = _conflict(world, Flow.ConflictPolicy.NEWEST_WINS, fb_last=fb_last)
    assert item.status == S.SUCCEEDED
    assert world.fb_objects("client")[0]["organization"] == expected


def test_conflict_review_holds_until_finance_picks_in_the_admin(world, admin_user, client):
    account, fb_id, item = _conflict(world, Flow.ConflictPolicy.REVIEW)
    assert item.status == S.HELD and "organization" in item.last_error
    client.force_login(admin_user)
    page = client.get(f"/admin/integrations/conflict/{item.pk}/resolve/")
    html = page.content.decode()
    assert "Globex (Salesforce)" in html and "Globex (FreshBooks)" in html and "Globex Corporation" in html
    assert "organization" in client.get("/admin/integrations/conflict/").content.decode()
    response = client.post(f"/admin/integrations/conflict/{item.pk}/resolve/", {"pick:organization": "target"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == S.PENDING and item.hint["resolution"] == {"organization": "target"}
    from integrations.sync.engine import sync_item_process

    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED, item.last_error
    # both systems now hold finance's choice
    assert world.fb_objects("client")[0]["organization"] == "Globex (FreshBooks)"
    assert world.sf_record(account)["Name"] == "Globex (FreshBooks)"
    assert Binding.objects.filter(object_type="client", external_id=str(fb_id)).exists()


def test_a_conflict_is_found_when_the_pair_was_last_synced_the_other_way(world):
    # the Account was made in Salesforce and synced to FreshBooks; then both sides rename it
    Flow.objects.filter(name=TO_SF).update(conflict_policy=Flow.ConflictPolicy.FIELD_OWNER)
    account = account_with_contact(world)
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    [client] = world.fb_objects("client")
    world.sf_update("Account", account, {"Name": "Globex (Salesforce)"})
    world.fb_update("client", client["id"], {"organization": "Globex (FreshBooks)"})
    item = world.run(TO_SF, "client", client["id"])
    assert item.status == S.SUCCEEDED and item.result.get("conflict_decided") == {"Name": "target"}, item.result
    assert world.sf_record(account)["Name"] == "Globex (Salesforce)"  # Salesforce owns the name


def test_a_change_already_synced_the_other_way_is_no_conflict(world):
    Flow.objects.filter(name=TO_SF).update(conflict_policy=Flow.ConflictPolicy.REVIEW)
    client = world.fb_create("client", {"organization": "Umbrella", "email": "alice@umbrella.test"})
    account = world.run(TO_SF, "client", client).target_external_id
    world.sf_update("Account", account, {"Name": "Umbrella Corp"})  # renamed in Salesforce, synced to FreshBooks
    assert world.run(TO_FB, "Account", account).status == S.SUCCEEDED
    assert world.fb_objects("client")[0]["organization"] == "Umbrella Corp"
    world.fb_update("client", client, {"organization": "Umbrella Group"})  # then renamed in FreshBooks only
    item = world.run(TO_SF, "client", client)
    assert item.status == S.SUCCEEDED, item.last_error
    assert "conflict_decided" not in item.result and world.sf_record(account)["Name"] == "Umbrella Group"

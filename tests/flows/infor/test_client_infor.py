"""Flow 8: FreshBooks client ⇄ Infor customer, matching, echo suppression and conflict policy."""
import pytest

from integrations.flows.toolkit.infor_customers import infor_customer_match
from integrations.flows.toolkit.matching import freshbooks_client_match
from integrations.models import Connection, Flow, SyncItem
from integrations.sandbox.infor.models import Customer
from integrations.sync.items import sync_item_enqueue
from integrations.triggers.polling import flow_poll
from tests.flows.infor.conftest import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)
TO_INFOR, TO_FRESHBOOKS = "freshbooks-client-to-infor-customer", "infor-customer-to-freshbooks-client"


def _sync_client(world, client_id):
    item, _ = sync_item_enqueue(flow=world.flow(TO_INFOR), source_object="client", source_id=str(client_id),
                                dispatch=False)
    run_until_idle()
    item.refresh_from_db()
    return item


def test_a_client_becomes_one_customer_and_its_echo_is_not_sent_back(world):
    client = world.fb.clients.create({"organization": "Harbor Tools", "email": "ap@harbor.example",
                                      "p_city": "Rotterdam", "currency_code": "EUR"})
    item = _sync_client(world, client["id"])
    customer = Customer.objects.get()
    assert item.status == "succeeded" and (customer.cunm, customer.yref, customer.cucd) == (
        "Harbor Tools", str(client["id"]), "EUR")
    assert _sync_client(world, client["id"]).status in ("skipped", "succeeded") and Customer.objects.count() == 1

    flow = world.flow(TO_FRESHBOOKS)
    assert flow_poll(flow=flow).enqueued == 0  # our own write, recognised by its LMTS

    world.infor.upsert_customer(customer_number=customer.cuno, name="Harbor Tools BV")  # someone edits it in M3
    assert flow_poll(flow=flow).enqueued == 1
    run_until_idle()
    assert SyncItem.objects.get(flow=flow).status == "succeeded"
    assert world.fb.clients.get(client["id"])["organization"] == "Harbor Tools BV"
    assert len(list(world.fb.clients.iterate())) == 1


def test_an_existing_customer_is_matched_by_email_not_duplicated(world):
    world.infor.upsert_customer(name="Quay Supplies", email="Billing@Quay.example", reference="legacy-7")
    client = world.fb.clients.create({"organization": "Quay Supplies Ltd", "email": "billing@quay.example"})
    assert _sync_client(world, client["id"]).status == "succeeded"
    assert Customer.objects.count() == 1


def test_both_sides_changed_is_held_for_review_under_that_policy(world):
    client = world.fb.clients.create({"organization": "Dock Works", "email": "ap@dock.example"})
    _sync_client(world, client["id"])
    Flow.objects.filter(name=TO_INFOR).update(conflict_policy=Flow.ConflictPolicy.REVIEW)
    customer = Customer.objects.get()
    world.infor.upsert_customer(customer_number=customer.cuno, name="Dock Works (M3 edit)")
    world.fb.clients.update(client["id"], {"organization": "Dock Works (FreshBooks edit)"})
    item = _sync_client(world, client["id"])
    assert item.status == "held" and "Both sides changed" in item.last_error
    assert Customer.objects.get().cunm == "Dock Works (M3 edit)"


def test_two_clients_of_one_company_get_their_own_customers(world):
    first = world.fb.clients.create({"organization": "Pier Co", "email": "ann@pier.example"})
    second = world.fb.clients.create({"organization": "Pier Co", "email": "bo@pier.example"})
    assert _sync_client(world, first["id"]).status == "succeeded"
    assert _sync_client(world, second["id"]).status == "succeeded"
    assert sorted(Customer.objects.values_list("yref", flat=True)) == sorted([str(first["id"]), str(second["id"])])


def test_flows_1_and_8_match_organisation_names_the_same_way(world):
    """One organisation-name rule: "ACME Inc." is the existing "Acme" for flow 1's client
    matcher and for flow 8's Infor customer matcher alike (legal-form words do not count)."""
    world.fb.clients.create({"organization": "Acme", "currency_code": "USD"})
    acme = world.infor.upsert_customer(name="Acme")["customer_number"]
    infor = Connection.objects.get(system="infor")

    assert freshbooks_client_match(world.fb, name="ACME Inc.")["organization"] == "Acme"  # flow 1
    assert infor_customer_match(world.infor, name="ACME Inc.", connection_id=infor.pk)["customer_number"] == acme

    client = world.fb.clients.create({"organization": "ACME Inc.", "email": "", "currency_code": "USD"})
    item = _sync_client(world, client["id"])  # flow 8 links the client to the existing customer
    assert item.status == "succeeded" and item.result.get("action") == "matched", item.last_error
    assert Customer.objects.count() == 1

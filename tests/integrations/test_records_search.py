"""Search by any business key (integrations/operations/records_search.py) and records labelled by
name (integrations/labels.py): what finance types into the sidebar's box finds the record."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from integrations.labels import record_label
from integrations.models import Entity, SyncItem
from integrations.operations.records_search import SearchQueryInvalid, records_search
from tests.factories import BindingFactory, ConnectionFactory, EntityFactory, SyncItemFactory
from tests.integrations.test_engine import enqueue, make_flow, run

pytestmark = pytest.mark.django_db

EXPENSE = {"id": 5501, "vendor": "Hotel Adlon Kempinski", "amount": {"amount": "412.80", "code": "EUR"},
           "categoryid": 77, "notes": "Berlin trip"}
ORDER = {"id": 9001, "name": "#1042", "email": "grace@initrode.example",
         "line_items": [{"sku": "LL-WIDGET-9", "quantity": 2}], "billing": {"company": "Initrode"}}


@pytest.fixture
def records():
    """A dead expense never bound, an order bound in two systems, an invoice whose number is in its binding."""
    expense = SyncItemFactory(source_object="expense", source_id="5501", status=SyncItem.Status.DEAD,
                              source_snapshot=EXPENSE, last_error="expense category 'Hotel' not in the value table")
    order_entity = EntityFactory(kind=Entity.Kind.ORDER, label="Initrode — Order #1042")
    shop = ConnectionFactory(system="shopify", name="Shop")
    order_binding = BindingFactory(connection=shop, object_type="order", external_id="9001", entity=order_entity)
    infor_binding = BindingFactory(connection=ConnectionFactory(system="infor", name="M3"), object_type="sales_order",
                                   external_id="1000123456", entity=order_entity)
    order_item = SyncItemFactory(source_object="order", source_id="9001", status=SyncItem.Status.SUCCEEDED,
                                 source_snapshot=ORDER, entity=order_entity)
    invoice_entity = EntityFactory(kind=Entity.Kind.INVOICE, label="")
    invoice_binding = BindingFactory(object_type="invoice", external_id="330077", entity=invoice_entity,
                                     extra={"number": "INV-0042"})
    return {"expense": expense, "order": order_entity, "order_binding": order_binding, "infor": infor_binding,
            "order_item": order_item, "invoice": invoice_entity, "invoice_binding": invoice_binding}


def _entities(results) -> list:
    return [hit.entity for hit in results.records]


def test_a_vendor_name_finds_the_failed_expense_that_was_never_bound(records):
    results = records_search("adlon")
    assert [hit.item for hit in results.items] == [records["expense"]] and results.records == []
    assert results.items[0].matched == "vendor: Hotel Adlon Kempinski"


def test_an_invoice_number_finds_the_invoice(records):
    results = records_search("INV-0042")
    assert _entities(results) == [records["invoice"]] and results.items == []
    assert results.records[0].bindings == [records["invoice_binding"]]


def test_a_sku_and_an_email_find_the_order_with_its_records_in_every_system(records):
    for query in ("ll-widget-9", "GRACE@initrode.example"):
        results = records_search(query)
        assert _entities(results) == [records["order"]], query
        assert results.records[0].bindings == [records["order_binding"], records["infor"]]
    assert records_search("LL-WIDGET-9").records[0].matched == "line_items.sku: LL-WIDGET-9"


def test_any_systems_id_finds_the_record_and_shows_the_others(records):
    results = records_search("1000123456")  # the Infor M3 order number
    assert _entities(results) == [records["order"]]
    assert "9001" in [b.external_id for b in results.records[0].bindings]


def test_a_customer_name_finds_the_record_by_its_label(records):
    assert _entities(records_search("initrode")) == [records["order"]]


def test_a_key_alone_matches_nothing(records):
    """Every expense has a "vendor" key and an "amount": only values are matched."""
    assert records_search("vendor").count == 0 and records_search("amount").count == 0


def test_non_ascii_text_is_found_on_either_database():
    item = SyncItemFactory(source_object="expense", source_id="77", source_snapshot={"vendor": "Bäckerei Müller"})
    assert [hit.item for hit in records_search("müller").items] == [item]


def test_short_and_overlong_queries():
    assert records_search(" a ").count == 0
    with pytest.raises(SearchQueryInvalid):
        records_search("x" * 201)


def test_the_search_page_links_each_record_to_its_timeline(client, records, django_user_model):
    staff = django_user_model.objects.create_superuser("boss", "boss@example.test", "pw")
    client.force_login(staff)
    page = client.get(reverse("integrations:records_search"), {"q": "Adlon"}).content.decode()
    assert reverse("admin:integrations_syncitem_change", args=[records["expense"].pk]) in page
    page = client.get(reverse("integrations:records_search"), {"q": "LL-WIDGET-9"}).content.decode()
    assert reverse("integrations:timeline_entity", args=[records["order"].pk]) in page
    assert "Initrode — Order #1042" in page
    assert client.get(reverse("integrations:records_search"), {"q": "x" * 201}).status_code == 400


def test_the_sidebar_search_box_is_on_every_admin_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss", "boss@example.test", "pw"))
    for url in (reverse("admin:index"), reverse("admin:integrations_syncitem_changelist")):
        page = client.get(url).content.decode()
        assert 'id="ll-records-search"' in page and reverse("integrations:records_search") in page


# -- labels ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("object_type, record, label", [
    ("Opportunity", {"Name": "Q4 licences", "Account": {"Name": "Initrode"}}, "Initrode — Opportunity 'Q4 licences'"),
    ("invoice", {"invoice_number": "0042", "organization": "Initrode"}, "Initrode — Invoice 0042"),
    ("expense", {"vendor": "Hotel Adlon", "amount": {"amount": "412.80"}}, "Hotel Adlon — Expense"),
    ("client", {"organization": "Initrode", "fname": "Grace", "lname": "Hopper"}, "Initrode — Client 'Grace Hopper'"),
    ("Contact", {"FirstName": "Grace", "LastName": "Hopper"}, "Contact 'Grace Hopper'"),
    ("order", ORDER, "Initrode — Order '#1042'"),
    ("payment", {"amount": {"amount": "10"}}, ""),
    ("payment", None, ""),
])
def test_record_labels(object_type, record, label):
    assert record_label(object_type, record) == label


def test_an_entity_is_named_after_its_record_when_the_engine_binds_it():
    flow = make_flow(records={"001A": {"Name": "Acme Ltd", "Email": "ap@acme.test"}})
    item = enqueue(flow)
    assert run(item) == SyncItem.Status.SUCCEEDED
    entity = Entity.objects.get(pk=item.entity_id)
    assert entity.label == "Account 'Acme Ltd'" and str(entity) == "Account 'Acme Ltd'"
    binding = entity.bindings.get(external_id="001A")
    assert str(binding) == "Account 'Acme Ltd' (salesforce Account 001A)"
    assert records_search("acme ltd").records[0].entity == entity


def test_an_entity_without_a_name_keeps_its_kind_and_number():
    entity = EntityFactory(kind=Entity.Kind.DEAL)
    assert str(entity) == f"Deal #{entity.pk}"


def test_unnamed_entities_are_named_after_their_newest_synced_record():
    """manage.py label_entities: rows made before labels existed (or bound by a batched backfill)."""
    named_later = EntityFactory(kind=Entity.Kind.DEAL)
    SyncItemFactory(entity=named_later, source_object="Opportunity", status=SyncItem.Status.SUCCEEDED,
                    source_snapshot={"Name": "Q4 licences", "Account": {"Name": "Initrode"}})
    SyncItemFactory(entity=named_later, source_object="Opportunity", status=SyncItem.Status.DEAD,
                    source_snapshot={"Name": "Q4 licences (a failed read)", "Account": {"Name": "Initrode"}})
    nameless = EntityFactory(kind=Entity.Kind.DEAL)
    SyncItemFactory(entity=nameless, source_object="Opportunity", source_snapshot={})
    already = EntityFactory(kind=Entity.Kind.CUSTOMER, label="Globex — Account 'Globex'")
    out = StringIO()
    call_command("label_entities", "--batch-size", "1", stdout=out)
    assert out.getvalue().strip() == "Named 1 of 2 unnamed entities; 1 hold no synced record with a name yet."
    named_later.refresh_from_db(), nameless.refresh_from_db(), already.refresh_from_db()
    assert named_later.label == "Initrode — Opportunity 'Q4 licences'"  # the succeeded item's, not the dead one's
    assert nameless.label == "" and already.label == "Globex — Account 'Globex'"

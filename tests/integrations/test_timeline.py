"""The deal timeline: the whole chain from any record of it, and everything that happened, in order."""
from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.models import EntityLink, InboundEvent
from integrations.operations.timeline import chain_entities, timeline_build
from monitoring.models import ApiCall, SyncAttempt
from tests.factories import BindingFactory, ConnectionFactory, EntityFactory, FlowFactory
from tests.monitoring.seed import NOW, api_call, item

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    sf = ConnectionFactory(name="SF", system="salesforce", base_url="https://acme.my.salesforce.com/", is_sandbox=False)
    fb = ConnectionFactory(name="FB", system="freshbooks")
    infor = ConnectionFactory(name="M3", system="infor", is_sandbox=False)  # a real tenant: M3 has no deep links
    kinds = ["customer", "deal", "invoice", "order", "shipment", "payment"]
    e = {k: EntityFactory(kind=k, label=k.title()) for k in kinds}
    for a, b, rel in [("deal", "customer", "client"), ("deal", "invoice", "invoiced_as"), ("invoice", "order", "ordered_as"),
                      ("order", "shipment", "shipped_as"), ("invoice", "payment", "paid_by")]:
        EntityLink.objects.create(from_entity=e[a], to_entity=e[b], relation=rel)
    opp = BindingFactory(connection=sf, object_type="Opportunity", external_id="006A", entity=e["deal"])
    inv = BindingFactory(connection=fb, object_type="invoice", external_id="77", entity=e["invoice"],
                         extra={"number": "INV-0077", "url": "https://my.freshbooks.com/#/invoice/77"})
    BindingFactory(connection=infor, object_type="order", external_id="1000123", entity=e["order"])
    pay = BindingFactory(connection=fb, object_type="payment", external_id="p1", entity=e["payment"])
    unrelated = EntityFactory(kind="deal")
    BindingFactory(connection=sf, object_type="Opportunity", external_id="006Z", entity=unrelated)

    flow = FlowFactory(title="Opp → invoice", source_connection=sf, target_connection=fb, source_object="Opportunity", target_object="invoice")
    event = InboundEvent.objects.create(connection=sf, dedupe_key="k", event_type="UPDATE", object_type="Opportunity",
                                        object_id="006A", received_at=NOW - timedelta(minutes=10))
    si = item(flow, status="succeeded", created=NOW - timedelta(minutes=10), finished=NOW - timedelta(minutes=8),
              latency_s=120, source_object="Opportunity", source_id="006A", target_external_id="77", inbound_event=event)
    SyncAttempt.objects.create(sync_item=si, number=1, started_at=NOW - timedelta(minutes=9), outcome="retrying", message="429, retrying")
    SyncAttempt.objects.create(sync_item=si, number=2, started_at=NOW - timedelta(minutes=8, seconds=30), outcome="succeeded", message="Created invoice 77.")
    call = api_call(fb, NOW - timedelta(minutes=8, seconds=20), status=201)
    ApiCall.objects.filter(pk=call.pk).update(sync_item=si, operation="invoices.create")
    other_flow = FlowFactory(source_connection=sf, source_object="Opportunity")
    item(other_flow, status="succeeded", created=NOW, finished=NOW, latency_s=1, source_object="Opportunity", source_id="006Z")
    return {"e": e, "opp": opp, "inv": inv, "pay": pay, "item": si}


def test_chain_is_found_from_any_record_in_chain_order(deal):
    for start in ("payment", "order", "customer"):
        kinds = [x.kind for x in chain_entities(deal["e"][start])]
        assert kinds == ["customer", "deal", "invoice", "order", "shipment", "payment"]


def test_events_in_time_order_with_links(deal):
    data = timeline_build(entity=deal["e"]["payment"])
    assert [i.pk for i in data["items"]] == [deal["item"].pk]
    assert [e.what for e in data["events"]] == ["Change received", "Event received", "Attempt 1", "Attempt 2", "API call"]
    assert [e.at for e in data["events"]] == sorted(e.at for e in data["events"])
    records = {r["binding"].external_id: r["url"] for node in data["chain"] for r in node["records"]}
    assert records["006A"] == "https://acme.my.salesforce.com/lightning/r/Opportunity/006A/view"
    assert records["77"] == "https://my.freshbooks.com/#/invoice/77"
    assert records["1000123"] is None and "006Z" not in records


def test_timeline_page_from_a_binding(deal, client, admin_user):
    assert client.get(f"/integrations/timeline/{deal['pay'].pk}/").status_code == 302  # to the login page
    client.force_login(admin_user)
    response = client.get(f"/integrations/timeline/{deal['pay'].pk}/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "INV-0077" in html and "invoices.create" in html and "Created invoice 77." in html
    assert html.index("Opportunity") < html.index("INV-0077") < html.index("1000123")
    assert client.get("/integrations/timeline/999999/").status_code == 404

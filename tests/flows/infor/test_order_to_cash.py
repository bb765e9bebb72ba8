"""Flow 4 in one process (the engine called directly) against the simulators over real HTTP."""
from datetime import date
from decimal import Decimal

import pytest

from integrations.models import Binding, EntityLink, SyncItem
from integrations.sandbox.infor.models import Customer, Order
from integrations.connectors.shop.shopify import shopify_order_parse
from integrations.connectors.shop.woocommerce import woocommerce_order_parse
from integrations.flows.order_to_cash.after_sale import AFTER_SALE_CHECK
from integrations.sandbox.shop import services
from integrations.sandbox.shop.models import ShopOrder as SimOrder
from integrations.sandbox.shop.payloads import BODIES, order_total, refunded_total
from integrations.sandbox.shop.services import order_cancel, order_fulfil, order_place, order_refund, outbox_drain
from monitoring.models import Finding
from mappings.models import CurrencyRate
from integrations.operations.replay import sync_item_replay
from mappings.models import ValueTable
from tests.flows.infor.conftest import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)
STEPS = ["", "freshbooks_invoice", "infor_customer", "infor_order"]


def chain_of(order_id):
    return list(SyncItem.objects.filter(source_id=order_id).order_by("pk"))


def fb_invoices(world):
    return list(world.fb.invoices.iterate(include=()))


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_an_order_yields_one_client_invoice_customer_and_confirmed_order(world, platform):
    order = world.order(platform, lines=[{"sku": "WIDGET-S", "quantity": "2", "price": "12.50", "name": "Widget small"},
                                         {"sku": "SERVICE-H", "quantity": "1", "price": "95.00", "name": "Set-up"}])
    run_until_idle()
    items = chain_of(order.external_id)
    assert [i.step for i in items] == STEPS and {i.status for i in items} == {"succeeded"}
    assert [i.parent_id for i in items[1:]] == [i.pk for i in items[:-1]]  # one chain, each step its own item

    clients = list(world.fb.clients.iterate())
    invoices = fb_invoices(world)
    assert len(clients) == 1 and clients[0]["email"] == "ann@buyer.example"
    assert len(invoices) == 1 and invoices[0]["customerid"] == clients[0]["id"]
    assert invoices[0]["amount"]["amount"] == "120.00"
    customer = Customer.objects.get()
    assert customer.yref == str(clients[0]["id"]) and customer.cucl == "SMB" and customer.cucd == "USD"
    m3_order = Order.objects.get()
    assert m3_order.stage == "confirmed" and m3_order.cuor == invoices[0]["invoice_number"]
    assert [(line.itno, line.orqt) for line in m3_order.lines.all()] == [("WIDGET-S", 2), ("SERVICE-H", 1)]
    assert items[1].result["facts"]["source_amount"] == items[1].result["facts"]["target_amount"] == "120.00"
    assert items[3].result["facts"]["target_amount"] == "120.00"
    # the customer entity holds the FreshBooks client and the Infor customer; the order entity the rest
    customer_entity = Binding.objects.get(object_type="customer", connection__system="infor").entity
    order_entity = Binding.objects.get(object_type="order", connection__system="infor").entity
    assert {b.object_type for b in customer_entity.bindings.all()} == {"customer", "client"}
    assert {(b.connection.system, b.object_type) for b in order_entity.bindings.all()} == {
        (platform, "order"), ("freshbooks", "invoice"), ("infor", "order")}
    assert EntityLink.objects.filter(from_entity=customer_entity, to_entity=order_entity).exists()


def test_replays_and_a_second_order_of_the_same_customer_never_duplicate(world):
    first = world.order()
    run_until_idle()
    for item in chain_of(first.external_id):  # finance replays the whole chain
        sync_item_replay(item=item)
    run_until_idle()
    assert len(list(world.fb.clients.iterate())) == 1 and len(fb_invoices(world)) == 1
    assert Customer.objects.count() == 1 and Order.objects.filter(stage="confirmed").count() == 1

    second = world.order(lines=[{"sku": "WIDGET-L", "quantity": "1", "price": "49.00", "name": "Widget large"}])
    run_until_idle()
    assert {i.status for i in chain_of(second.external_id)} == {"succeeded"}
    assert len(list(world.fb.clients.iterate())) == 1 and len(fb_invoices(world)) == 2
    assert Customer.objects.count() == 1 and Order.objects.filter(stage="confirmed").count() == 2


def test_a_validation_error_stops_at_its_step_and_replay_resumes_there(world):
    order = world.order(lines=[{"sku": "GADGET-9", "quantity": "1", "price": "10.00", "name": "Gadget"}])
    run_until_idle()
    items = chain_of(order.external_id)
    assert [i.status for i in items] == ["succeeded", "succeeded", "succeeded", "dead"]
    dead = items[-1]
    assert "GADGET-9" in dead.last_error and dead.last_error_field == "ITNO"
    assert Order.objects.filter(stage="confirmed").count() == 0

    table = ValueTable.objects.get(name="freshbooks-item-to-infor-item")
    table.entries.create(source_value="GADGET-9", target_value="WIDGET-L")
    sync_item_replay(item=dead)
    run_until_idle()
    assert [i.status for i in chain_of(order.external_id)] == ["succeeded"] * 4  # no new items for earlier steps
    assert Order.objects.get(stage="confirmed").lines.get().itno == "WIDGET-L"
    assert len(fb_invoices(world)) == 1 and Customer.objects.count() == 1


def test_throttling_and_outages_are_retried_and_end_succeeded_once(world, fault):
    fault("429", remaining=3, retry_after=1)
    fault("503", remaining=2, retry_after=1)
    order = world.order()
    run_until_idle()
    items = chain_of(order.external_id)
    assert [i.status for i in items] == ["succeeded"] * 4
    assert sum(i.attempts for i in items) > 4  # some steps really were retried
    assert Customer.objects.count() == 1 and Order.objects.filter(stage="confirmed").count() == 1


def test_a_crash_after_the_remote_write_finds_the_record_on_retry(world, monkeypatch):
    from integrations.sync import engine

    original, crashed = engine.target_bind, []

    def crash_once(*, item, handler, entity, external_id):
        if item.step == "infor_order" and not crashed:
            crashed.append(external_id)
            raise RuntimeError("worker killed between the remote create and the commit")
        return original(item=item, handler=handler, entity=entity, external_id=external_id)

    monkeypatch.setattr(engine, "target_bind", crash_once)
    order = world.order()
    run_until_idle()
    items = chain_of(order.external_id)
    assert crashed and [i.status for i in items] == ["succeeded"] * 4 and items[-1].attempts == 2
    assert Order.objects.filter(stage="confirmed").count() == 1  # found by CUOR, not made twice
    assert items[-1].target_external_id == crashed[0]


ADDRESS = {"address1": "1 Main St", "city": "Springfield", "zip": "12345"}


def test_orders_without_an_email_match_one_client_by_shop_customer_id(world):
    """Shopify withholds the e-mail (protected customer data): two orders of one customer, one client."""
    first = world.order(email="", options=ADDRESS)
    second = world.order(email="", options=ADDRESS)
    run_until_idle()
    for order in (first, second):
        assert [i.status for i in chain_of(order.external_id)] == ["succeeded"] * 4
    clients = list(world.fb.clients.iterate())
    assert len(clients) == 1 and not clients[0]["email"] and len(fb_invoices(world)) == 2
    assert Binding.objects.get(object_type="customer", connection__system="shopify").external_id.startswith("customer:")


def test_an_order_without_an_email_matches_the_existing_client(world):
    """The customer ordered before with an e-mail; this order comes without: the same client."""
    world.order(options=ADDRESS)
    run_until_idle()
    later = world.order(email="", options=ADDRESS)
    run_until_idle()
    assert [i.status for i in chain_of(later.external_id)] == ["succeeded"] * 4
    assert len(list(world.fb.clients.iterate())) == 1 and len(fb_invoices(world)) == 2
    assert Customer.objects.count() == 1


def test_a_guest_without_email_or_customer_id_matches_by_name_and_address(world):
    world.order("woocommerce", options=ADDRESS)  # WooCommerce guests have no customer id
    run_until_idle()
    later = world.order("woocommerce", email="", options=ADDRESS)
    other = world.order("woocommerce", email="", options={**ADDRESS, "address1": "9 Other Rd"})
    run_until_idle()
    assert {i.status for i in chain_of(later.external_id) + chain_of(other.external_id)} == {"succeeded"}
    assert len(list(world.fb.clients.iterate())) == 2  # the same name at another address is someone else




@pytest.mark.parametrize("platform, taxes_included", [("shopify", False), ("shopify", True), ("woocommerce", False),
                                                     ("woocommerce", True)])
def test_a_discounted_order_with_shipping_and_tax_invoices_its_total_to_the_cent(world, platform, taxes_included):
    lines = [{"sku": "WIDGET-S", "quantity": "3", "price": "19.99", "name": "Widget small", "discount": "1.50"},
             {"sku": "SERVICE-H", "quantity": "1", "price": "95.00", "name": "Set-up"}]
    options = {"discount_code": "SAVE10", "order_discount": "10", "shipping_title": "Express", "shipping": "7.95",
               "tax_rate": "8.25", "taxes_included": taxes_included}
    order = world.order(platform, lines=lines, options=options)
    run_until_idle()
    assert [i.status for i in chain_of(order.external_id)] == ["succeeded"] * 4
    (invoice,) = fb_invoices(world)
    invoice = world.fb.invoices.get(invoice["id"])
    assert invoice["amount"]["amount"] == format(order_total(order), "f")
    names = [line["name"] for line in invoice["lines"]]
    assert "Discount SAVE10" in names and ("Express" in names or "Express" in str(names))
    assert "SAVE10" in (invoice.get("notes") or "")
    m3_order = Order.objects.get()  # the M3 order holds the products only, with their discounts as DIP1
    assert [(line.itno, line.orqt) for line in m3_order.lines.all()] == [("WIDGET-S", 3), ("SERVICE-H", 1)]
    shop_lines = parse_sim(order).lines
    assert [line.dip1 for line in m3_order.lines.all()] == [
        (s.discount * 100 / s.total).quantize(Decimal("0.01")) for s in shop_lines]
    assert m3_order.lines.all()[0].dip1 > 0
    items = chain_of(order.external_id)
    for item in items[1::2]:  # invoice vs order total, M3 order vs the invoice's products: no anomaly to report
        assert item.result["facts"]["source_amount"] == item.result["facts"]["target_amount"], item.step


def test_an_order_paid_in_another_currency_is_invoiced_in_it(world):
    options = {"presentment_currency": "EUR", "presentment_rate": "0.91", "shipping": "5", "tax_rate": "20"}
    order = world.order(lines=[{"sku": "WIDGET-S", "quantity": "2", "price": "12.50", "name": "Widget small"}],
                        options=options)
    run_until_idle()
    (invoice,) = fb_invoices(world)
    assert invoice["currency_code"] == "EUR" and invoice["amount"]["amount"] == format(order_total(order), "f")


def test_an_order_converted_through_the_dated_rates(world):
    CurrencyRate.objects.create(from_currency="USD", to_currency="EUR", date=date(2020, 1, 1), rate=Decimal("0.5"),
                                source="manual")
    flow = world.flow("order-to-cash-shopify")
    flow.settings = {**flow.settings, "convert_to_currency": "EUR"}
    flow.save()
    world.order(lines=[{"sku": "WIDGET-S", "quantity": "3", "price": "3.33", "name": "Widget small"}])
    run_until_idle()
    (invoice,) = fb_invoices(world)
    assert invoice["currency_code"] == "EUR" and invoice["amount"]["amount"] == "5.00"  # 9.99 × 0.5, to the cent


def parse_sim(sim_order):
    parser = shopify_order_parse if sim_order.platform == "shopify" else woocommerce_order_parse
    return parser(BODIES[sim_order.platform](SimOrder.objects.get(pk=sim_order.pk)).encode())


def after_sale_findings():
    return {f.details.get("subject", "") + "|" + f.fingerprint.split("|")[-1]: f
            for f in Finding.objects.filter(check_name=AFTER_SALE_CHECK)}


def delivered(sim_order, action, **arguments):
    changed = action(order=SimOrder.objects.get(pk=sim_order.pk), **arguments)
    assert outbox_drain()["failed"] == 0
    run_until_idle()
    return changed


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_a_refund_yields_a_credit_note_linked_to_the_invoice(world, platform):
    lines = [{"sku": "WIDGET-S", "quantity": "2", "price": "20.00", "name": "Widget small"},
             {"sku": "SERVICE-H", "quantity": "1", "price": "95.00", "name": "Set-up"}]
    order = world.order(platform, lines=lines, options={"shipping": "5", "tax_rate": "10", "discount_code": "TEN",
                                                        "order_discount": "10"})
    run_until_idle()
    (invoice,) = fb_invoices(world)
    refunded = delivered(order, order_refund, lines=[{"index": 0, "quantity": "1"}], note="damaged")
    refund_total = refunded_total(refunded)
    (credit,) = list(world.fb.credit_notes.iterate())
    assert credit["amount"]["amount"] == format(refund_total, "f") and credit["clientid"] == invoice["customerid"]
    assert invoice["invoice_number"] in credit["description"]
    binding = Binding.objects.get(object_type="invoice", external_id=str(invoice["id"]))
    assert list(binding.extra["credit_notes"].values()) == [str(credit["id"])]  # linked to the invoice
    assert any("infor-refund" in key for key in after_sale_findings())  # M3 credit: a finding (no documented call)
    # a replay, and the full refund of the rest: one more credit note, none twice
    for item in SyncItem.objects.filter(step="after_sale"):
        sync_item_replay(item=item)
    run_until_idle()
    rest = delivered(order, order_refund, lines=services.refund_lines_parse(SimOrder.objects.get(pk=order.pk), ""),
                     shipping=True)
    credits = list(world.fb.credit_notes.iterate())
    assert len(credits) == 2
    assert sum(Decimal(c["amount"]["amount"]) for c in credits) == refunded_total(rest) == order_total(rest)


def test_a_cancellation_before_fulfilment_voids_the_draft_and_cancels_the_m3_order(world):
    order = world.order()
    run_until_idle()
    (invoice,) = fb_invoices(world)
    m3_order = Order.objects.get()
    delivered(order, order_cancel, reason="customer")
    voided = world.fb.invoices.get(invoice["id"], include=())
    assert voided["vis_state"] == 2 and "VOID" in voided["notes"]  # archived, not deleted
    (finding,) = [f for key, f in after_sale_findings().items() if key.endswith("infor-cancel")]
    assert m3_order.orno in finding.title  # the reference has no M3 cancel call: finance is asked, by name
    assert SyncItem.objects.filter(step="after_sale", status="succeeded").exists()


def test_a_cancellation_before_fulfilment_uses_the_tenants_cancel_transaction_when_named(world):
    flow = world.flow("order-to-cash-shopify")
    flow.settings = {**flow.settings, "infor_cancel_transaction": "OIS100MI/DltHead"}
    flow.save()
    order = world.order()
    run_until_idle()
    delivered(order, order_cancel)
    (item,) = SyncItem.objects.filter(step="after_sale")
    # the simulator is as strict as the reference, which documents no such transaction: refused, said clearly
    assert item.status == "dead" and "DltHead" in item.last_error


def test_a_cancellation_after_fulfilment_is_a_finding_for_finance(world):
    order = world.order()
    run_until_idle()
    (invoice,) = fb_invoices(world)
    delivered(order, order_fulfil)
    delivered(order, order_cancel)
    assert world.fb.invoices.get(invoice["id"], include=())["vis_state"] == 0  # left as it is
    assert any(key.endswith("cancelled-after-fulfilment") for key in after_sale_findings())
    assert Order.objects.get().stage == "confirmed"


def test_an_order_cancelled_before_it_was_invoiced_makes_no_invoice(world):
    order = order_place(platform="shopify", first_name="Ann", last_name="Buyer", email="ann@buyer.example",
                        currency="USD", lines=[{"sku": "WIDGET-S", "quantity": "1", "price": "5.00"}])
    order_cancel(order=order)
    outbox_drain()
    run_until_idle()
    assert fb_invoices(world) == [] and not Order.objects.exists()


def test_readme_walkthrough_a_discounted_order_with_shipping_and_a_refund(world, client):
    """README, Infor flows, *Walk through it* steps 9–10, done as written: the shop page's forms over HTTP."""
    page = client.post("/sandbox/shop/orders/", {
        "platform": "shopify", "currency": "USD", "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com",
        "company": "Doe Trading", "country": "US", "address1": "1 Main St", "city": "Springfield", "zip": "12345",
        "discount_code": "SAVE10", "order_discount": "10", "shipping_title": "Express", "shipping": "7.95",
        "tax_rate": "8.25", "lines": "WIDGET-S, 2, 12.50, Widget small\nSERVICE-H, 1, 95, Service hour"}, follow=True)
    assert b"webhook(s) queued" in page.content
    outbox_drain()
    run_until_idle()
    (invoice,) = fb_invoices(world)
    invoice = world.fb.invoices.get(invoice["id"])
    assert invoice["amount"]["amount"] == "127.68"
    assert [(line["name"], line["amount"]["amount"]) for line in invoice["lines"]] == [
        ("Widget small", "25.00"), ("Service hour", "95.00"), ("Discount SAVE10", "-10.00"), ("Express", "7.95"),
        ("Tax 8.25%", "9.73")]
    assert [(line.itno, line.orqt) for line in Order.objects.get().lines.all()] == [("WIDGET-S", 2), ("SERVICE-H", 1)]
    sim_order = SimOrder.objects.get()
    page = client.post(f"/sandbox/shop/orders/{sim_order.pk}/refund/", {"kind": "lines", "lines": "WIDGET-S, 1"},
                       follow=True)
    assert b"refunded" in page.content
    outbox_drain()
    run_until_idle()
    (credit,) = list(world.fb.credit_notes.iterate())
    assert credit["amount"]["amount"] == "12.41" and invoice["invoice_number"] in credit["description"]
    page = client.post(f"/sandbox/shop/orders/{sim_order.pk}/cancel/", follow=True)
    assert b"cancelled" in page.content
    outbox_drain()
    run_until_idle()
    assert world.fb.invoices.get(invoice["id"], include=())["vis_state"] == 2


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_the_invoice_carries_the_order_number_finance_searches_for(world, platform):
    order = world.order(platform)
    run_until_idle()
    (invoice,) = fb_invoices(world)
    assert invoice["po_number"] == str(order.number) and not invoice["po_number"].startswith("#")
    found = list(world.fb.invoices.iterate(search={"customerid": invoice["customerid"]}, include=()))
    assert [i["id"] for i in found if i["po_number"] == str(order.number)] == [invoice["id"]]


def test_a_replayed_order_completes_its_half_made_batch_and_leaves_no_stray_order(world):
    from integrations.operations.timeline import timeline_build
    from monitoring.models import SyncAttempt

    order = world.order(lines=[{"sku": "WIDGET-S", "quantity": "2", "price": "12.50", "name": "Widget small"},
                               {"sku": "GADGET-9", "quantity": "1", "price": "10.00", "name": "Gadget"}])
    run_until_idle()
    dead = chain_of(order.external_id)[-1]
    assert dead.status == "dead" and "unconfirmed batch order" in dead.last_error
    (batch,) = Order.objects.all()
    assert batch.stage == "batch" and batch.temp_orno in dead.last_error  # named, so finance can find it

    ValueTable.objects.get(name="freshbooks-item-to-infor-item").entries.create(source_value="GADGET-9",
                                                                               target_value="WIDGET-L")
    sync_item_replay(item=dead)
    run_until_idle()
    dead.refresh_from_db()
    assert dead.status == "succeeded", dead.last_error
    (m3_order,) = Order.objects.all()  # the batch was completed: no second batch, no stray one
    assert m3_order.pk == batch.pk and m3_order.stage == "confirmed"
    assert [(line.itno, line.orqt) for line in m3_order.lines.order_by("ponr")] == [("WIDGET-S", 2), ("WIDGET-L", 1)]
    message = SyncAttempt.objects.filter(sync_item_id=dead.pk).order_by("-number").first().message
    assert message == (f"Completed the batch order {batch.temp_orno} an earlier try left unconfirmed and confirmed it "
                       f"as Infor M3 order {m3_order.orno}.")
    details = [event.detail for event in timeline_build(entity=dead.entity)["events"]]
    assert any(batch.temp_orno in d and "unconfirmed" in d for d in details) and message in details


def test_a_step_names_the_record_it_wrote(world):
    from monitoring.models import SyncAttempt

    order = world.order()
    run_until_idle()
    messages = [SyncAttempt.objects.get(sync_item=i).message for i in chain_of(order.external_id)]
    m3_order = Order.objects.get()
    assert messages[0].startswith("Created FreshBooks client ") and messages[1].startswith("Created FreshBooks invoice ")
    assert messages[2].startswith("Created Infor M3 customer ")
    assert messages[3] == f"Created Infor M3 order {m3_order.orno}."  # not "Created invoice …"

"""Flows 5–7 after an Order-to-Cash chain, and flow 7 alone: shipment, payment, expense."""
import pytest

from integrations.models import SyncItem
from integrations.sandbox.infor.models import GlBatch, Invoice, Order
from integrations.sandbox.infor.orders import order_advance
from integrations.operations.replay import sync_item_replay
from integrations.sync.items import sync_item_enqueue
from integrations.triggers.polling import flow_poll
from mappings.models import ValueTable
from tests.flows.infor.conftest import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)


def _poll(flow) -> dict:
    """The one poller's run of the shipment flow, in the counts the Infor order poll reported."""
    report = flow_poll(flow=flow)
    assert not report.error, report.error
    return {"checked": report.checked, "queued": report.enqueued}


@pytest.fixture
def ordered(world):
    world.order(lines=[{"sku": "WIDGET-L", "quantity": "2", "price": "49.00", "name": "Widget large"}])
    run_until_idle()
    invoice = next(world.fb.invoices.iterate(include=()))
    return world, invoice, Order.objects.get(stage="confirmed")


def test_shipping_in_infor_marks_the_invoice_sent_once(ordered):
    world, invoice, m3_order = ordered
    flow = world.flow("infor-shipment-to-freshbooks-invoice")
    assert _poll(flow) == {"checked": 1, "queued": 0}  # not delivered yet
    order_advance(order=m3_order, action="ship")
    assert _poll(flow)["queued"] == 1
    run_until_idle()
    item = SyncItem.objects.get(flow=flow)
    assert item.status == "succeeded" and item.target_external_id == str(invoice["id"])
    assert world.fb.invoices.get(invoice["id"], include=())["v3_status"] == "sent"
    assert _poll(flow) == {"checked": 0, "queued": 0}  # delivered orders are no longer polled


def _pay(world, invoice, amount, payment_type="Credit Card", fast_forward=True):
    payment = world.fb.payments.create({"invoiceid": invoice["id"], "amount": {"amount": amount, "code": "USD"},
                                        "date": "2024-05-02", "type": payment_type})
    item, _ = sync_item_enqueue(flow=world.flow("freshbooks-payment-to-infor"), source_object="payment",
                                source_id=str(payment["id"]), dispatch=False)
    run_until_idle(fast_forward=fast_forward)
    item.refresh_from_db()
    return item


def test_payments_wait_for_the_infor_invoice_then_reconcile_partially_and_fully(ordered):
    world, invoice, m3_order = ordered
    early = _pay(world, invoice, "40.00", fast_forward=False)
    assert early.status == "retrying" and "has not invoiced order" in early.last_error
    order_advance(order=m3_order, action="ship")
    order_advance(order=m3_order, action="invoice")
    run_until_idle()
    early.refresh_from_db()
    assert early.status == "succeeded" and early.result["reconciliation"]["reconciled"] is False
    assert early.result["facts"] == {"payment_amount": "40.00", "open_amount": "98.00", "source_currency": "USD",
                                     "target_currency": "USD"}
    m3_invoice = Invoice.objects.get()
    assert (m3_invoice.paid, m3_invoice.reco) == (40, "0")
    assert m3_invoice.payment_lines.get().pytp == "CC"  # gateway/type → payment type by value table

    rest = _pay(world, invoice, "58.00", payment_type="Check")
    assert rest.status == "succeeded" and rest.result["reconciliation"]["reconciled"] is True
    m3_invoice.refresh_from_db()
    assert (m3_invoice.paid, m3_invoice.reco) == (98, "9")
    sync_item_replay(item=rest)  # a replay never pays twice
    run_until_idle()
    m3_invoice.refresh_from_db()
    assert m3_invoice.paid == 98 and m3_invoice.payment_lines.count() == 2


def test_a_payment_larger_than_the_open_amount_is_a_dead_letter(ordered):
    world, invoice, m3_order = ordered
    order_advance(order=m3_order, action="ship")
    order_advance(order=m3_order, action="invoice")
    assert _pay(world, invoice, "98.00").status == "succeeded"
    over = _pay(world, invoice, "5.00")
    assert over.status == "dead" and "more than the 0.00 still open" in over.last_error


def _expense(world, category, amount="54.00", tax=None):
    categories = {c["category"]: c["id"] for c in world.fb.expense_categories.iterate()}
    data = {"amount": {"amount": amount, "code": "USD"}, "categoryid": categories[category], "date": "2024-05-01",
            "staffid": 1, "vendor": "Serano Bakery", "notes": "Team lunch"}
    if tax:
        data.update(taxAmount1={"amount": tax, "code": "USD"}, taxName1="VAT")
    expense = world.fb.expenses.create(data)
    item, _ = sync_item_enqueue(flow=world.flow("freshbooks-expense-to-infor-gl"), source_object="expense",
                                source_id=str(expense["id"]), dispatch=False)
    run_until_idle()
    item.refresh_from_db()
    return item


def test_an_expense_posts_one_balanced_gl_batch_with_its_tax(world):
    item = _expense(world, "Meals and Entertainment", amount="54.00", tax="4.00")
    assert item.status == "succeeded"
    batch = GlBatch.objects.get()
    assert batch.stage == "updated" and batch.vono
    assert [(line.ait1, str(line.acam)) for line in batch.lines.all()] == [
        ("6410", "50.00"), ("2000", "-54.00"), ("2640", "4.00")]
    assert item.result["facts"]["gl_lines"] == [{"debit": "50.00", "credit": "0"}, {"debit": "0", "credit": "54.00"},
                                                {"debit": "4.00", "credit": "0"}]
    sync_item_replay(item=item)
    run_until_idle()
    assert GlBatch.objects.count() == 1 and GlBatch.objects.get().lines.count() == 3


def test_an_unknown_category_names_itself_and_the_table_and_replays_after_the_fix(world):
    item = _expense(world, "Hotel/Lodging/Accommodation", amount="120.00")
    assert item.status == "dead"
    assert "'Hotel/Lodging/Accommodation' is not in the value table 'expense-category-to-gl-account'" in item.last_error
    assert not GlBatch.objects.exists()
    ValueTable.objects.get(name="expense-category-to-gl-account").entries.create(
        source_value="Hotel/Lodging/Accommodation", target_value="6420")
    sync_item_replay(item=item)
    run_until_idle()
    item.refresh_from_db()
    assert item.status == "succeeded" and GlBatch.objects.get().lines.first().ait1 == "6420"

"""Flow 6's payment reference (issue 20): M3's CKNO names the whole FreshBooks payment, is read back
to it, and finds the payment's items in the admin."""
import pytest
from django.db import connection as db

from integrations.connectors.freshbooks.values import payment_reference, payment_reference_parse
from integrations.models import SyncItem
from integrations.sandbox.freshbooks.models import SimObject
from integrations.sandbox.infor.models import Order, PaymentLine
from integrations.sandbox.infor.orders import order_advance
from integrations.sync.items import sync_item_enqueue
from tests.flows.infor.conftest import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)


def _ids_from(first: int) -> None:
    """Make the FreshBooks simulator's next ids as long as real ones (6–8 digits)."""
    SimObject.objects.create(pk=first - 1, account=SimObject.objects.first().account, kind="note", vis_state=1)
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [SimObject._meta.db_table, first - 1])


def test_the_m3_payment_line_names_the_whole_payment_and_reads_back_to_it(world, admin_client):
    world.order(lines=[{"sku": "WIDGET-L", "quantity": "2", "price": "49.00", "name": "Widget large"}])
    run_until_idle()
    invoice = next(world.fb.invoices.iterate(include=()))
    m3_order = Order.objects.get(stage="confirmed")
    order_advance(order=m3_order, action="ship")
    order_advance(order=m3_order, action="invoice")
    _ids_from(82345670)
    payment = world.fb.payments.create({"invoiceid": invoice["id"], "amount": {"amount": "98.00", "code": "USD"},
                                        "date": "2024-05-02", "type": "Check"})
    assert payment["id"] >= 82345670
    item, _ = sync_item_enqueue(flow=world.flow("freshbooks-payment-to-infor"), source_object="payment",
                                source_id=str(payment["id"]), dispatch=False)
    run_until_idle()
    item.refresh_from_db()
    assert item.status == "succeeded", item.last_error

    line = PaymentLine.objects.get()
    assert line.ckno == f"FBP-{payment['id']}" and len(line.ckno) <= 15  # not "FreshBooks payment 8"
    assert payment_reference_parse(line.ckno) == str(payment["id"])
    assert item.result["reference"] == line.ckno

    found = admin_client.get("/admin/integrations/syncitem/", {"q": line.ckno})
    assert found.status_code == 200 and list(found.context["cl"].result_list) == [item]


def test_a_reference_that_would_not_fit_is_refused_not_cut():
    assert payment_reference(82) == "FBP-82" and payment_reference_parse("fbp-82") == "82"
    assert payment_reference_parse("FreshBooks payment 8") is None and payment_reference_parse("FBP-") is None
    with pytest.raises(ValueError, match="longer than 15"):
        payment_reference(123456789012)
    assert SyncItem.objects.count() == 0

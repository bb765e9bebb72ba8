"""Seeding for the payment benchmark: the Order-to-Cash demo (shop → FreshBooks → Infor M3) on the
simulators a bench server serves, with FreshBooks webhooks registered at our receiver, and paid-for
orders brought to the point where Infor has invoiced them (through the flows, as the demo does)."""
from __future__ import annotations

import time

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.services import freshbooks_callback_confirm, freshbooks_callbacks_ensure
from integrations.demo.flows import infor_flows_demo_ensure
from integrations.demo.infor import infor_sandbox_connection_ensure
from integrations.demo.shop import shop_sandbox_connections_ensure
from integrations.models import Connection, SyncItem
from integrations.sandbox.freshbooks.deliveries import deliveries_drain
from integrations.sandbox.infor.models import Invoice, Order
from integrations.sandbox.infor.orders import order_advance
from integrations.sandbox.shop.services import order_place, outbox_drain

SETTLE_SECONDS = 120


def order_to_cash_ensure(freshbooks: Connection) -> None:
    """The Infor and shop demo connections and flows 4–8, and FreshBooks' webhooks to our receiver."""
    quiet = lambda _: None  # noqa: E731
    infor_sandbox_connection_ensure(quiet)
    shop_sandbox_connections_ensure(quiet)
    infor_flows_demo_ensure(quiet)
    for callback in freshbooks_callbacks_ensure(connection=freshbooks):
        deliveries_drain()  # the verification request, to our receiver
        freshbooks_callback_confirm(connection=freshbooks, callback_id=str(callback["callbackid"]))


def orders_invoiced_in_infor(freshbooks: Connection, count: int, *, tag: str) -> list[tuple[dict, Invoice]]:
    """Place ``count`` shop orders, let the running cluster take each to a confirmed M3 order, then
    ship and invoice it in the simulator; returns each FreshBooks invoice with its M3 invoice."""
    placed = []
    for n in range(count):
        order = order_place(platform="shopify", first_name="Pay", last_name=f"Buyer{n}", currency="USD",
                            email=f"pay{n}.{tag}@bench.example", company=f"Bench Payer {tag} {n}",
                            lines=[{"sku": "WIDGET-L", "quantity": "2", "price": "49.00", "name": "Widget large"}])
        placed.append(order)
    outbox_drain()  # the shop's signed webhooks, to our receiver
    deadline = time.monotonic() + SETTLE_SECONDS
    ids = [o.external_id for o in placed]
    while time.monotonic() < deadline and SyncItem.objects.filter(
            source_id__in=ids, step="infor_order", status="succeeded").count() < count:
        time.sleep(0.5)  # polling for the chains to settle
    out = []
    for shop_id in ids:  # each chain's own records, by what its steps made (numbers may repeat across runs)
        steps = dict(SyncItem.objects.filter(source_id=shop_id, status="succeeded").values_list(
            "step", "target_external_id"))
        if "infor_order" not in steps:
            continue
        m3_order = Order.objects.get(orno=steps["infor_order"])
        if not m3_order.invoices.exists():
            order_advance(order=m3_order, action="ship")
            order_advance(order=m3_order, action="invoice")
        out.append((steps["freshbooks_invoice"], m3_order.invoices.get()))
    return out


def payment_make(freshbooks: Connection, invoice_id: str, amount: str) -> str:
    """Pay a FreshBooks invoice (as a customer's payment arrives); returns the payment id."""
    fb = FreshBooksClient(freshbooks)
    try:
        payment = fb.payments.create({"invoiceid": int(invoice_id), "amount": {"amount": amount, "code": "USD"},
                                      "date": "2026-05-02", "type": "Credit Card"})
    finally:
        fb.session.close()
    return str(payment["id"])

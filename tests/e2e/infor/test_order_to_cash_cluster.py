"""Order-to-Cash end to end: the shop, FreshBooks and Infor M3 simulators over real HTTP, a
real worker cluster on PostgreSQL, webhooks delivered by the simulators' own outboxes.

Several scenarios share one cluster start so the suite stays fast.
"""
import pytest
from django_q.models import OrmQ

from integrations.connectors.freshbooks.services import freshbooks_callback_confirm, freshbooks_callbacks_ensure
from integrations.triggers.polling import flows_poll_due
from integrations.models import Flow, SyncItem
from integrations.sandbox.freshbooks.deliveries import deliveries_drain
from integrations.sandbox.infor.models import Customer, GlBatch, Invoice, Order
from integrations.sandbox.infor.orders import order_advance
from integrations.sandbox.shop.models import Delivery
from integrations.operations.replay import sync_item_replay
from integrations.sync.sweeper import sync_items_dispatch_due
from mappings.models import ValueTable
from tests.cluster import qcluster, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
OPEN = ("pending", "running", "retrying")


def settled(order_id, count=4):
    items = SyncItem.objects.filter(source_id=order_id)
    return items.count() >= count and not items.filter(status__in=OPEN).exists() or items.filter(status="dead").exists()


def chain(order_id):
    return list(SyncItem.objects.filter(source_id=order_id).order_by("pk").values_list("step", "status"))


def test_order_to_cash_with_a_real_cluster(world, pg_only, tmp_path, live_server, fault, settings):
    settings.SYNC_RUNNING_STALE_SECONDS = 8  # a dead worker's item is stale after 8 s, here and in the cluster
    settings.SYNC_ENQUEUE_LOST_SECONDS = 3  # the sweeper (run here) resends a pending item's lost task after 3 s
    for callback in freshbooks_callbacks_ensure(connection=world.fb_connection):  # FreshBooks webhooks to us
        deliveries_drain()
        freshbooks_callback_confirm(connection=world.fb_connection, callback_id=str(callback["callbackid"]))
    OrmQ.objects.all().delete()  # the set-up's own task messages: done above, in this process
    sweep = lambda: sync_items_dispatch_due()  # noqa: E731  (the once-a-minute sweeper, run by the test)

    env = {"HTTP_TIMEOUT_SECONDS": "2", "SYNC_RUNNING_STALE_SECONDS": "8", "LEDGERLINK_PUBLIC_URL": live_server.url,
           "SYNC_BACKOFF_BASE_SECONDS": "0.5", "SYNC_BACKOFF_CAP_SECONDS": "1"}
    with qcluster(tmp_path / "qcluster.log", env_extra=env):
        # 1. An order through a 429/503 storm in Infor, its webhook delivered twice.
        fault("429", remaining=4, retry_after=1)
        fault("503", remaining=3, retry_after=1)
        order = world.order(lines=[{"sku": "WIDGET-L", "quantity": "2", "price": "49.00", "name": "Widget large"}])
        delivery = Delivery.objects.get(order=order)
        Delivery.objects.filter(pk=delivery.pk).update(status="pending")  # the shop resends the same webhook
        from integrations.sandbox.shop.services import outbox_drain
        outbox_drain()
        wait_until(lambda: settled(order.external_id), tick=sweep, what="the order's chain")
        assert chain(order.external_id) == [("", "succeeded"), ("freshbooks_invoice", "succeeded"),
                                            ("infor_customer", "succeeded"), ("infor_order", "succeeded")]
        invoices = list(world.fb.invoices.iterate(include=()))
        assert len(invoices) == 1 and Customer.objects.count() == 1
        m3_order = Order.objects.get(stage="confirmed")
        assert m3_order.cuor == invoices[0]["invoice_number"]

        # 2. Shipping it in the simulator updates the invoice (the one poll schedule's task, run here).
        order_advance(order=m3_order, action="ship")
        flows_poll_due()
        wait_until(lambda: world.fb.invoices.get(invoices[0]["id"], include=())["v3_status"] == "sent",
                   tick=sweep, what="the invoice to be marked sent")

        # 3. Paying the invoice in FreshBooks reconciles the Infor invoice.
        order_advance(order=m3_order, action="invoice")
        world.fb.payments.create({"invoiceid": invoices[0]["id"], "amount": {"amount": "98.00", "code": "USD"},
                                  "date": "2024-05-02", "type": "Credit Card"})
        wait_until(lambda: Invoice.objects.get().reco == "9", tick=sweep, what="the Infor invoice to be reconciled")
        assert Invoice.objects.get().payment_lines.count() == 1

        # 4. An expense posts one balanced GL batch.
        meals = next(c["id"] for c in world.fb.expense_categories.iterate()
                     if c["category"] == "Meals and Entertainment")
        world.fb.expenses.create({"amount": {"amount": "54.00", "code": "USD"}, "categoryid": meals,
                                  "date": "2024-05-01", "staffid": 1, "vendor": "Serano Bakery"})
        wait_until(lambda: GlBatch.objects.filter(stage="updated").exists(), tick=sweep, what="the GL batch")
        assert sum(line.acam for line in GlBatch.objects.get().lines.all()) == 0

        # 5. A validation error stops its step with a reason; replay after the fix resumes there.
        #    Slow answers meanwhile (longer than the workers' 2 s timeout) are retried, not duplicated.
        bad = world.order(email="bo@buyer.example",
                          lines=[{"sku": "GADGET-9", "quantity": "1", "price": "10.00", "name": "Gadget"}])
        wait_until(lambda: settled(bad.external_id), tick=sweep, what="the bad order's chain")
        dead = SyncItem.objects.get(source_id=bad.external_id, status="dead")
        assert dead.step == "infor_order" and "GADGET-9" in dead.last_error, dead.last_error
        ValueTable.objects.get(name="freshbooks-item-to-infor-item").entries.create(
            source_value="GADGET-9", target_value="WIDGET-S")
        fault("latency", remaining=2, latency_ms=3000)
        sync_item_replay(item=dead)
        wait_until(lambda: SyncItem.objects.filter(pk=dead.pk, status="succeeded").exists(), tick=sweep,
                   what="the replayed step")
        assert [s for s, _ in chain(bad.external_id)] == ["", "freshbooks_invoice", "infor_customer", "infor_order"]
        assert SyncItem.objects.get(pk=dead.pk).attempts >= 2  # the slow answers really timed out

        # 6. The worker process dies (os._exit) right after FreshBooks created the invoice, and again
        #    right after Infor confirmed the sales order, each time before our commit. The sweeper
        #    sees the stale running item and retries it; each retry finds the record it made.
        markers = {"freshbooks_invoice": tmp_path / "invoice-crash", "infor_order": tmp_path / "order-crash"}
        flow = world.flow("order-to-cash-shopify")
        Flow.objects.filter(pk=flow.pk).update(kind="e2e-o2c-crash-once", settings={
            **flow.settings, "crash_markers": {step: str(path) for step, path in markers.items()}})
        crash = world.order(email="cy@crash.example",
                            lines=[{"sku": "WIDGET-S", "quantity": "3", "price": "12.50", "name": "Widget small"}])
        wait_until(markers["freshbooks_invoice"].exists, tick=sweep, what="the worker to die after the invoice")
        wait_until(markers["infor_order"].exists, timeout=120, tick=sweep,
                   what="the worker to die after the sales order")
        wait_until(lambda: settled(crash.external_id), timeout=120, tick=sweep, what="the crashed chain")
        assert chain(crash.external_id) == [("", "succeeded"), ("freshbooks_invoice", "succeeded"),
                                            ("infor_customer", "succeeded"), ("infor_order", "succeeded")]
        invoice_id = markers["freshbooks_invoice"].read_text()
        all_invoices = {str(i["id"]): i for i in world.fb.invoices.iterate(include=())}
        assert len(all_invoices) == 3 and invoice_id in all_invoices  # one more invoice: the crashed try's
        crash_order = Order.objects.get(cuor=all_invoices[invoice_id]["invoice_number"])
        assert crash_order.stage == "confirmed" and str(crash_order.orno) == markers["infor_order"].read_text()
        for step, marker in markers.items():
            recovered = SyncItem.objects.get(source_id=crash.external_id, step=step)
            assert recovered.result["action"] == "matched" and recovered.attempts >= 2, recovered.result
            assert recovered.target_external_id == marker.read_text()

        # 7. The worker dies after committing the next step's item and before its task reached the broker:
        #    that item waits with no task anywhere. The sweeper sends it (it has been due too long) and
        #    retries the stale first step. As in production (lost after 60 s, stale after Q_RETRY) the waiting
        #    item usually runs first; the retried step then starts its next step again, and that second pass
        #    finds everything done and writes nothing.
        lost = tmp_path / "lost-task"
        Flow.objects.filter(pk=flow.pk).update(settings={**world.flow(flow.name).settings,
                                                         "lost_task_markers": {"": str(lost)}})
        orphaned = world.order(email="lu@lost.example", lines=[
            {"sku": "WIDGET-S", "quantity": "1", "price": "12.50", "name": "Widget small"}])
        wait_until(lost.exists, tick=sweep, what="the worker to die before the next step's task was sent")
        wait_until(lambda: settled(orphaned.external_id), timeout=120, tick=sweep, what="the orphaned chain")
        items = list(SyncItem.objects.filter(source_id=orphaned.external_id).order_by("pk"))
        steps = ["", "freshbooks_invoice", "infor_customer", "infor_order"]
        assert {(i.step, i.status) for i in items} == {(step, "succeeded") for step in steps}
        orphan = SyncItem.objects.get(pk=int(lost.read_text()))  # the very item left without a task finished
        assert (orphan.step, orphan.status, orphan.attempts) == ("freshbooks_invoice", "succeeded", 1)
        [first] = [i for i in items if i.step == ""]
        assert first.attempts >= 2 and first.result["action"] == "unchanged", (first.attempts, first.result)
        firsts = {i.step: i.pk for i in reversed(items)}  # each step's first item
        again = [(i.step, i.result["action"]) for i in items if firsts[i.step] != i.pk]
        assert all(action == "unchanged" for _, action in again), again

    # Never duplicated, whatever was retried, redelivered, timed out, replayed or left without its task.
    assert len(list(world.fb.clients.iterate())) == 4 and Customer.objects.count() == 4
    assert len(list(world.fb.invoices.iterate(include=()))) == 4
    assert Order.objects.filter(stage="confirmed").count() == 4 and GlBatch.objects.count() == 1
    cuors = list(Order.objects.filter(stage="confirmed").values_list("cuor", flat=True))
    assert len(set(cuors)) == 4, cuors  # (an unconfirmed batch a timed-out try left behind never becomes an order)

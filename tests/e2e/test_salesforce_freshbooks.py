"""End to end on PostgreSQL: both simulators served over real HTTP (live_server), their change
events and webhooks delivered to our receivers, a real django-q2 worker cluster doing the
work. One cluster start covers several scenarios in order: the happy path of flows 2 and 3
(and flow 1 through them), echo suppression, duplicate deliveries, 429/503 storms from both
simulators and expired tokens mid-batch."""
from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Q

from integrations.connectors.freshbooks.services import freshbooks_callbacks_ensure
from integrations.models import Flow, InboundEvent, SyncItem
from integrations.polling import flow_poll
from integrations.sandbox.freshbooks.faults import faults_set, tokens_expire_all
from integrations.sandbox.freshbooks.models import SimCallback, SimDelivery
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfDelivery
from integrations.services import sync_items_dispatch_due
from monitoring.models import ApiCall
from tests.e2e.cluster import qcluster, wait_until
from tests.sandbox.salesforce.fixtures import WEBHOOK_SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = SyncItem.Status
OPEN = [S.PENDING, S.RETRYING, S.RUNNING]
FAST_RETRIES = {"SYNC_BACKOFF_BASE_SECONDS": "0.5", "SYNC_BACKOFF_CAP_SECONDS": "2", "SYNC_MAX_ATTEMPTS": "12",
                "SYNC_RUNNING_STALE_SECONDS": "8"}


def writes() -> int:
    """Writes Ledgerlink made to either system (webhook registration aside)."""
    return ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).exclude(
        operation__startswith="callbacks").count()


def quiet() -> bool:
    """Nothing left anywhere: no open work, no undelivered webhook or change event, no unrouted event."""
    return not (SyncItem.objects.filter(status__in=OPEN).exists()
                or SimDelivery.objects.filter(status__in=["pending", "sending"]).exists()
                or SfDelivery.objects.filter(status="pending").exists()
                or InboundEvent.objects.filter(status="received").exclude(event_type="callback.verify").exists())


def safety_net():
    """What the one-minute schedule does in production, run more often here: dispatch due retries."""
    sync_items_dispatch_due()


def deal(world, **kwargs) -> str:
    """A salesperson's whole deal committed at once (Account, contact, Opportunity, products, Closed Won),
    so its change events reach us about complete records."""
    with transaction.atomic():
        return world.won_opportunity(**kwargs)


def wire(world, live_server):
    fb = world.fb_connection
    fb.settings = {**fb.settings, "webhook_events": ["client", "invoice", "payment"],
                   "webhook_url": f"{live_server.url}/api/webhooks/freshbooks/{fb.pk}/"}
    fb.save()
    freshbooks_callbacks_ensure(connection=fb)
    sim.subscription_ensure(endpoint=f"{live_server.url}/api/webhooks/salesforce/{world.sf_connection.pk}/",
                            secret=WEBHOOK_SECRET)
    wait_until(lambda: SimCallback.objects.filter(verified=True).count() == 3, what="FreshBooks callbacks verified")


def test_salesforce_freshbooks_end_to_end_with_a_real_cluster(world, live_server, tmp_path, pg_only, settings):
    settings.SYNC_RUNNING_STALE_SECONDS = 8  # the safety net here sees a dead worker's item as the cluster does
    with qcluster(tmp_path / "qcluster.log", env_extra=FAST_RETRIES) as (_, log):
        try:
            _scenarios(world, live_server, tmp_path)
        except AssertionError:
            log.seek(0)
            print(log.read()[-4000:])
            raise


def _scenarios(world, live_server, tmp_path):
    wire(world, live_server)

    # 1. Closed Won in Salesforce → invoice in FreshBooks, ids on the Opportunity (change event → worker)
    opp = deal(world, lines=(("Consulting hour", "CONS-H", 100, 2),))
    wait_until(lambda: world.sf_record(opp).get("FreshBooks_Invoice_Number__c"), tick=safety_net,
               what="the invoice ids on the Opportunity")
    [invoice] = world.fb_objects("invoice")
    assert world.sf_record(opp)["FreshBooks_Invoice_Id__c"] == str(invoice["id"]) and invoice["po_number"] == opp

    # 2. a payment in FreshBooks → the Opportunity's payment status (webhook → worker)
    world.pay(invoice["id"], "80.00")
    wait_until(lambda: world.sf_record(opp).get("Payment_Status__c") == "Partial", tick=safety_net,
               what="Partial on the Opportunity")
    world.pay(invoice["id"], "120.00", date="2026-07-02")
    wait_until(lambda: world.sf_record(opp).get("Payment_Status__c") == "Paid", tick=safety_net,
               what="Paid on the Opportunity")
    assert world.sf_record(opp)["Amount_Paid__c"] == 200

    # 3. echo suppression: our own writes' events (and a poll of every flow) cause no further writes
    wait_until(quiet, tick=safety_net, what="the first deal to settle")
    before = writes()
    last_call = ApiCall.objects.order_by("-pk").values_list("pk", flat=True).first()
    for flow in Flow.objects.all():
        assert flow_poll(flow=flow).error == ""
    wait_until(quiet, tick=safety_net, what="the polls to settle")
    extra = ApiCall.objects.filter(pk__gt=last_call, method__in=["POST", "PUT", "PATCH", "DELETE"])
    assert writes() == before, [(c.system, c.operation, c.path, c.sync_item_id) for c in extra]
    assert not SyncItem.objects.filter(status=S.DEAD).exists()
    assert InboundEvent.objects.filter(payload__echo=True).exists()  # our Salesforce writes came back, unrouted

    # 4. duplicate deliveries, 429/503 storms from both simulators, every token expired: five more deals
    faults_set(account=world.fb_sandbox.account, fault_duplicate_deliveries=10, fault_429_remaining=8,
               fault_retry_after=1, fault_5xx_remaining=4, fault_5xx_status=503)
    sim.org_configure(fault_unavailable=6, fault_lock_row=2)
    tokens_expire_all(account=world.fb_sandbox.account)
    sim.sessions_expire_now()
    opps = [deal(world, account=f"Storm {n}", email=f"ap{n}@storm.test",
                 lines=(("Consulting hour", "CONS-H", 100, n + 1),)) for n in range(5)]
    wait_until(lambda: all(world.sf_record(o).get("FreshBooks_Invoice_Number__c") for o in opps), timeout=180,
               tick=safety_net, what="five invoices through the storm")
    wait_until(quiet, timeout=120, tick=safety_net, what="the storm to settle")
    invoices = world.fb_objects("invoice")
    assert sorted(i["po_number"] for i in invoices) == sorted([opp, *opps])  # none lost, none duplicated
    items = SyncItem.objects.filter(flow__name="sf-opportunity-to-fb-invoice", source_id__in=opps)
    assert not items.filter(~Q(status__in=[S.SUCCEEDED, S.SKIPPED, S.DEAD])).exists()
    assert not items.filter(status=S.DEAD, last_error="").exists()  # any dead one says why
    assert ApiCall.objects.filter(status_code=429).exists() and ApiCall.objects.filter(status_code=503).exists()

    # 5. the worker dies between FreshBooks' invoice create and our commit: no second invoice
    faults_set(account=world.fb_sandbox.account, fault_duplicate_deliveries=0, fault_429_remaining=0,
               fault_5xx_remaining=0)
    sim.org_configure(fault_unavailable=0, fault_lock_row=0)
    marker = tmp_path / "crashed"
    Flow.objects.filter(name="sf-opportunity-to-fb-invoice").update(
        kind="e2e-crash-once", settings={"crash_marker": str(marker)})
    crash = deal(world, account="Crash Co", email="ap@crash.test")
    wait_until(marker.exists, tick=safety_net, what="the worker to die after the create")
    wait_until(lambda: world.sf_record(crash).get("FreshBooks_Invoice_Number__c"), timeout=120, tick=safety_net,
               what="the crashed item to be recovered and finish")
    assert [i["id"] for i in world.fb_objects("invoice", po_number=crash)] == [int(marker.read_text())]
    recovered = SyncItem.objects.filter(source_id=crash, flow__name="sf-opportunity-to-fb-invoice",
                                        status=S.SUCCEEDED).get()
    assert recovered.result["action"] == "matched" and recovered.attempts >= 2

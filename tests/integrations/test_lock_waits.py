"""A record locked by another worker: waited for briefly, else the item goes back to the queue for a
moment later, with no attempt counted and nothing shown as failed (issue 20, timing)."""
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.flows.payment_infor.handler import PaymentInforFlow
from integrations.flows.payment_opportunity.handler import PaymentOpportunityFlow
from integrations.models import Flow, SyncItem, SyncLock
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue
from monitoring.models import SyncAttempt
from tests.factories import FlowFactory

pytestmark = pytest.mark.django_db
S = SyncItem.Status


@contextmanager
def held_by_another_worker(key: str, *, for_seconds: float = 3600):
    """Another worker's hold on ``key`` for ``for_seconds``: its lease row (integrations/locking.py)."""
    SyncLock.objects.create(key=key, holder="other-host:1", expires_at=timezone.now() + timedelta(seconds=for_seconds))
    try:
        yield
    finally:
        SyncLock.objects.filter(key=key, holder="other-host:1").delete()


def enqueue(flow, source_id="001A"):
    item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id=source_id, dispatch=False)
    return item


def test_a_lock_still_busy_after_the_wait_requeues_the_item_without_an_attempt(settings):
    settings.SYNC_LOCK_WAIT_SECONDS, settings.SYNC_LOCK_REQUEUE_SECONDS = 0.2, 1.0
    flow = FlowFactory(settings={"records": {"001A": {"Name": "Acme Ltd", "Email": "ap@acme.test"}}})
    item = enqueue(flow)
    before = timezone.now()
    with held_by_another_worker(f"{flow.source_connection_id}:Account:001A"):  # syncing the record
        assert sync_item_process(item_id=item.pk) == S.PENDING
    item.refresh_from_db()
    # back in the queue for a second later, parked for the due-time dispatcher; no try counted or shown
    assert (item.status, item.attempts, item.last_error, item.last_error_class) == (S.PENDING, 0, "", "")
    assert item.wake_at == item.next_attempt_at and item.next_attempt_at >= before + timedelta(seconds=1)
    assert not SyncAttempt.objects.filter(sync_item=item).exists()
    # once due and free, it runs as attempt 1
    SyncItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert sync_item_process(item_id=item.pk) == S.SUCCEEDED
    item.refresh_from_db()
    assert item.attempts == 1 and item.wake_at is None
    assert list(SyncAttempt.objects.filter(sync_item=item).values_list("number", "outcome")) == [(1, "succeeded")]


def test_a_lock_freed_during_the_wait_is_taken_and_the_item_runs_at_once(settings):
    settings.SYNC_LOCK_WAIT_SECONDS = 10.0
    flow = FlowFactory(settings={"records": {"001A": {"Name": "Acme Ltd", "Email": "ap@acme.test"}}})
    item = enqueue(flow)
    started = time.monotonic()
    with held_by_another_worker(f"{flow.source_connection_id}:Account:001A", for_seconds=0.5):
        assert sync_item_process(item_id=item.pk) == S.SUCCEEDED
    assert 0.4 < time.monotonic() - started < 5  # it waited for the lock, not for a retry
    assert list(SyncAttempt.objects.filter(sync_item=item).values_list("outcome", flat=True)) == ["succeeded"]


def test_two_flows_reading_one_payment_do_not_share_a_lock():
    # Flow 3 (payment → Opportunity) and flow 6 (payment → Infor) read the same FreshBooks payment
    # and write different records: neither waits for the other. Two items of one flow still do.
    to_sf = Flow(kind="freshbooks-payment-to-salesforce-opportunity", source_connection_id=1, source_object="payment",
                 target_connection_id=2, target_object="Opportunity")
    to_infor = Flow(kind="freshbooks-payment-to-infor-payment", source_connection_id=1, source_object="payment",
                    target_connection_id=3, target_object="payment")
    payment = SyncItem(source_object="payment", source_id="82")
    sf_key, infor_key = PaymentOpportunityFlow(to_sf).lock_key(payment), PaymentInforFlow(to_infor).lock_key(payment)
    assert sf_key != infor_key
    assert infor_key == PaymentInforFlow(to_infor).lock_key(SyncItem(source_object="payment", source_id="82"))
    assert infor_key != PaymentInforFlow(to_infor).lock_key(SyncItem(source_object="payment", source_id="83"))

import pytest

from integrations.models import SyncItem
from integrations.sync.items import sync_item_enqueue
from tests.factories import FlowFactory, SyncItemFactory

pytestmark = pytest.mark.django_db


def test_duplicate_triggers_make_one_pending_item():
    flow = FlowFactory()
    first, created1 = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    second, created2 = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A",
                                         hint={"n": 2}, dispatch=False)
    assert created1 and not created2
    assert first.pk == second.pk
    assert SyncItem.objects.count() == 1
    assert SyncItem.objects.get().hint == {"n": 2}  # the newest hint is kept


def test_other_records_and_flows_are_separate_work():
    flow, other_flow = FlowFactory(), FlowFactory()
    sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    sync_item_enqueue(flow=flow, source_object="Account", source_id="001B", dispatch=False)
    sync_item_enqueue(flow=other_flow, source_object="Account", source_id="001A", dispatch=False)
    assert SyncItem.objects.count() == 3


@pytest.mark.parametrize("status", ["running", "succeeded", "dead", "skipped"])
def test_a_trigger_after_the_open_item_left_the_queue_makes_new_work(status):
    flow = FlowFactory()
    item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    SyncItem.objects.filter(pk=item.pk).update(status=status)
    again, created = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    assert created and again.pk != item.pk


def test_database_refuses_two_open_items_with_one_identity():
    from django.db import IntegrityError, transaction

    item = SyncItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncItemFactory(flow=item.flow, source_id=item.source_id, identity_key=item.identity_key, status="retrying")


def test_enqueue_hands_the_item_to_the_queue_on_commit(django_capture_on_commit_callbacks):
    from django_q.models import OrmQ

    flow = FlowFactory()
    with django_capture_on_commit_callbacks(execute=True):
        item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001Q")
    queued = [q.task for q in OrmQ.objects.all()]
    assert len(queued) == 1 and queued[0]["args"] == (item.pk,)
    assert queued[0]["func"] == "integrations.tasks.sync_item_process"

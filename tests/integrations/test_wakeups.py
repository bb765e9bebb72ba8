"""The due-time dispatcher (integrations/sync/wakeups.py): parked items reach the broker when due,
once, whichever loop finds them (the real-process timing is in test_timely_retries_cluster.py)."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from integrations.models import SyncItem
from integrations.sync.items import sync_item_enqueue
from integrations.sync.wakeups import next_wake_in, sync_items_wake_due
from tests.factories import FlowFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the ORM broker's task rows commit with the wake-up
S = SyncItem.Status


def parked(flow, source_id, *, in_seconds, status=S.RETRYING):
    item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id=source_id, dispatch=False)
    when = timezone.now() + timedelta(seconds=in_seconds)
    SyncItem.objects.filter(pk=item.pk).update(status=status, next_attempt_at=when, wake_at=when)
    return item


def sent() -> list[str]:
    return sorted(task.name() for task in OrmQ.objects.all())


def test_due_items_are_sent_once_and_later_ones_wait(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "orm": "default"}
    settings.Q_CLUSTER.pop("redis", None)
    flow = FlowFactory()
    due = parked(flow, "001A", in_seconds=-0.1)
    lock_wait = parked(flow, "001B", in_seconds=-0.1, status=S.PENDING)
    later = parked(flow, "001C", in_seconds=30)
    assert sync_items_wake_due() == 2
    assert sent() == [f"sync-item-{due.pk}", f"sync-item-{lock_wait.pk}"]
    assert sync_items_wake_due() == 0 and len(sent()) == 2  # another loop (or this one again) sends nothing more
    assert SyncItem.objects.get(pk=due.pk).wake_at is None
    assert 25 < next_wake_in() <= 30  # the loop sleeps no longer than until the next one is due
    SyncItem.objects.filter(pk=later.pk).update(wake_at=None)
    assert next_wake_in() is None

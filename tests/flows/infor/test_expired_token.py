"""Issue 20: the Infor gateway answering 401 three times in a row (an expired token) during a burst
is not a dead letter: the items get fresh tokens and succeed; only a refused refresh is final."""
import pytest

from integrations.models import Connection, SyncItem
from integrations.sandbox.infor.models import AuthorizedApp, Customer
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue

pytestmark = pytest.mark.django_db(transaction=True)
TO_INFOR = "freshbooks-client-to-infor-customer"


def _items(world, count):
    items = []
    for n in range(count):
        client = world.fb.clients.create({"organization": f"Burst {n} Ltd", "email": f"ap{n}@burst.example"})
        items.append(sync_item_enqueue(flow=world.flow(TO_INFOR), source_object="client",
                                       source_id=str(client["id"]), dispatch=False)[0])
    return items


def test_three_401s_in_a_row_are_no_dead_letter(world, fault):
    items = _items(world, 2)
    fault("401", remaining=3)
    for item in items:  # the two workers' items, one after the other
        assert sync_item_process(item_id=item.pk) == "succeeded"
    for item in items:
        item.refresh_from_db()
        assert item.status == "succeeded" and item.attempts == 1, item.last_error
    assert Customer.objects.count() == 2
    assert Connection.objects.get(pk=world.infor.m3.connection.pk).token_state == "valid"


def test_only_a_refused_refresh_tells_finance_to_reconnect(world, fault):
    (item,) = _items(world, 1)
    AuthorizedApp.objects.update(client_secret="rotated-by-the-tenant-admin")
    fault("401", remaining=3)
    assert sync_item_process(item_id=item.pk) == "dead"
    item.refresh_from_db()
    assert "sign-in failed" in item.last_error and item.status == SyncItem.Status.DEAD

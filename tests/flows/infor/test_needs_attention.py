"""Needs attention over the real expense flow (FreshBooks → Infor GL, simulators over HTTP): ten
expenses with a category missing from the value table form one cause group; one fix and *Replay
group* turn all ten into successes, and the group's history says who did what."""
import pytest
from django.urls import reverse

from integrations.models import SyncItem
from integrations.operations.causes import cause_fix_links, cause_groups
from integrations.sandbox.infor.models import GlBatch
from integrations.sync.items import sync_item_enqueue
from mappings.models import MappingChange, ValueTable
from mappings.services import mapping_change_record
from tests.flows.infor.conftest import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)
TABLE = "expense-category-to-gl-account"
HOTEL = "Hotel/Lodging/Accommodation"


def _expenses(world, n: int) -> list[SyncItem]:
    category = next(c["id"] for c in world.fb.expense_categories.iterate() if c["category"] == HOTEL)
    items = []
    for i in range(n):
        expense = world.fb.expenses.create({"amount": {"amount": f"{100 + i}.00", "code": "USD"}, "categoryid": category,
                                            "date": "2024-05-01", "staffid": 1, "vendor": f"Hotel {i}", "notes": "Stay"})
        item, _ = sync_item_enqueue(flow=world.flow("freshbooks-expense-to-infor-gl"), source_object="expense",
                                    source_id=str(expense["id"]), dispatch=False)
        items.append(item)
    run_until_idle()
    return [SyncItem.objects.get(pk=i.pk) for i in items]


def test_ten_expenses_missing_one_value_table_key_are_one_group_and_one_fix_replays_them_all(world, admin_client,
                                                                                              admin_user):
    items = _expenses(world, 10)
    assert {i.status for i in items} == {"dead"}
    # the snapshot is kept although mapping failed: finance sees vendor and amount
    assert items[3].source_snapshot["vendor"] == "Hotel 3" and items[3].mapped_payload == {}
    [group] = cause_groups()
    assert group.count == 10
    assert group.label.endswith(f"'{HOTEL}' not in {TABLE}")
    table = ValueTable.objects.get(name=TABLE)
    (words, url), *_ = cause_fix_links(group.fix)
    assert url == reverse("admin:mappings_valuetable_change", args=[table.pk]) + "?add_key=Hotel%2FLodging%2FAccommodation"

    page = admin_client.get(reverse("admin:needs_attention")).content.decode()
    assert "not in expense-category-to-gl-account" in page and "Hotel 7" in page and "107.00 USD" in page
    detail = admin_client.get(reverse("admin:needs_attention_item", args=[items[0].pk])).content.decode()
    assert "Hotel 0" in detail and "add_key=Hotel%2FLodging%2FAccommodation" in detail

    entry = table.entries.create(source_value=HOTEL, target_value="6420")  # the fix, recorded as the admin records it
    mapping_change_record(user=admin_user, obj=entry, action=MappingChange.Action.CREATED)
    cause_url = reverse("admin:needs_attention_cause")
    assert admin_client.post(cause_url, {"key": group.cause_key}).status_code == 302  # Replay group
    run_until_idle()
    assert set(SyncItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {"succeeded"}
    assert GlBatch.objects.count() == 10
    assert cause_groups() == []
    history = admin_client.get(cause_url, {"key": group.cause_key}).content.decode()
    assert "group_replayed" in history and "10 of 10 item(s) queued again" in history
    assert "created value table entry" in history and f"{HOTEL} → 6420" in history  # who fixed what


def test_a_later_change_that_succeeds_resolves_the_older_dead_letter(world):
    [old] = _expenses(world, 1)
    assert old.status == "dead"
    ValueTable.objects.get(name=TABLE).entries.create(source_value=HOTEL, target_value="6420")
    new, created = sync_item_enqueue(flow=old.flow, source_object="expense", source_id=old.source_id, dispatch=False)
    assert created and new.pk != old.pk  # the expense changed again: a new item of the same record and flow
    run_until_idle()
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.status == "succeeded"
    assert (old.status, old.resolution) == ("dead", "resolved")
    assert old.resolution_note == f"Resolved by the success of item {new.pk}."
    assert cause_groups() == []

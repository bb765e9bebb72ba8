"""Generic record-sync flows over Infor M3 items (MMS200MI by its descriptor) and FreshBooks items, configured
only as data, over real HTTP against both simulators: an M3 item becomes a FreshBooks item and follows its
changes (no duplicate after a crash between the remote create and our commit); a FreshBooks item becomes an M3
item (AddItmBasic with the SKU as item number), matched rather than added again when it already exists."""
from __future__ import annotations

import pytest

from integrations.connectors.infor.objects import InforObjects
from integrations.flows.record_sync.handler import RecordSyncFlow
from integrations.connectors.freshbooks.checks import UNCONFIRMED_SCOPES
from integrations.demo.flows import INFOR
from integrations.models import Connection, Flow, SyncItem
from integrations.sandbox.freshbooks.kinds import KINDS
from integrations.sandbox.freshbooks.models import SimObject
from integrations.sandbox.freshbooks.records import record_create
from integrations.sandbox.infor.models import Item
from integrations.sync.engine import sync_item_process
from tests.flows.crash import run_killed_after_create
from tests.mappings.builders import mapping_set_make

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
TO_FB, TO_M3 = "m3-item-to-fb-item", "fb-item-to-m3-item"


@pytest.fixture
def items(world, fb, settings):
    """The two flows, and the FreshBooks connection granted the items scopes (user:billable_items:*: inferred
    from the API reference's object list, so a connection asks for them only when listed in its "scopes")."""
    scopes = [*settings.FRESHBOOKS_SCOPES, *UNCONFIRMED_SCOPES]
    token = fb.token(" ".join(scopes))
    connection = world.fb_connection
    connection.set_secrets(access_token=token.access_token, refresh_token=token.refresh_token)
    connection.settings = {**connection.settings, "scopes": scopes}
    connection.save()
    m3 = Connection.objects.get(name=INFOR)
    to_fb = mapping_set_make([{"target_field": "name", "source_path": "ITDS"},
                              {"target_field": "description", "source_path": "FUDS"}],
                             name="m3-item-to-fb-item", status="published", source_system="infor",
                             source_object="MMS200MI", target_system="freshbooks", target_object="item")
    Flow.objects.create(name=TO_FB, kind="record_sync", source_connection=m3, source_object="item",
                        target_connection=world.fb_connection, target_object="item", mapping_set=to_fb,
                        trigger="poll", settings={"marker_field": "sku"})
    to_m3 = mapping_set_make([{"target_field": "ITNO", "source_path": "sku", "required": True},
                              {"target_field": "ITDS", "source_path": "name", "max_length": 30},
                              {"target_field": "FUDS", "source_path": "description"}],
                             name="fb-item-to-m3-item", status="published", source_system="freshbooks",
                             source_object="item", target_system="infor", target_object="MMS200MI")
    Flow.objects.create(name=TO_M3, kind="record_sync", source_connection=world.fb_connection, source_object="item",
                        target_connection=m3, target_object="item", mapping_set=to_m3, trigger="poll",
                        settings={"match": ["ITNO"]})
    return m3


def fb_items() -> list[dict]:
    return [{"id": o.pk, **o.data} for o in SimObject.objects.filter(kind="item", vis_state=0).order_by("pk")]


def test_an_m3_item_becomes_a_freshbooks_item_and_follows_its_changes(world, items):
    InforObjects().create(items, "item", {"ITNO": "BOWL-L", "ITDS": "Large bowl", "FUDS": "Stoneware, 30 cm"})
    made = world.run(TO_FB, "item", "BOWL-L")
    assert made.status == S.SUCCEEDED and made.result["action"] == "created", made.last_error
    [fb_item] = fb_items()
    assert (fb_item["name"], fb_item["description"], fb_item["sku"]) == ("Large bowl", "Stoneware, 30 cm", "BOWL-L")

    InforObjects().update(items, "item", "BOWL-L", {"ITDS": "Large serving bowl"})
    changed = world.run(TO_FB, "item", "BOWL-L")
    assert changed.status == S.SUCCEEDED and changed.result["action"] == "updated", changed.last_error
    assert world.run(TO_FB, "item", "BOWL-L").result["action"] == "unchanged"
    [fb_item] = fb_items()
    assert fb_item["name"] == "Large serving bowl"


def test_a_crash_between_the_freshbooks_create_and_our_commit_makes_no_second_item(world, items, monkeypatch):
    InforObjects().create(items, "item", {"ITNO": "CUP-S", "ITDS": "Small cup"})
    run_killed_after_create(world, monkeypatch, RecordSyncFlow, TO_FB, "item", "CUP-S")
    assert len(fb_items()) == 1
    item = SyncItem.objects.get(flow__name=TO_FB, source_id="CUP-S")
    SyncItem.objects.filter(pk=item.pk).update(status=S.RETRYING)  # what the sweeper does with the dead worker's item
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED and item.result["action"] == "matched", item.last_error
    assert len(fb_items()) == 1


def test_a_freshbooks_item_becomes_an_m3_item_and_an_existing_one_is_matched(world, items, fb):
    made = record_create(account=fb.account, kind=KINDS["item"], actor=fb.user,
                         values={"name": "Teapot", "description": "1.2 l", "sku": "POT-1",
                                 "unit_cost": {"amount": "30.00", "code": "USD"}})
    item = world.run(TO_M3, "item", made.pk)
    assert item.status == S.SUCCEEDED and item.result["action"] == "created", item.last_error
    assert Item.objects.get(itno="POT-1").itds == "Teapot"

    Item.objects.create(itno="MUG-1", itds="Mug (made in M3)")
    mug = record_create(account=fb.account, kind=KINDS["item"], actor=fb.user, values={"name": "Mug", "sku": "MUG-1"})
    matched = world.run(TO_M3, "item", mug.pk)
    assert matched.status == S.SUCCEEDED and matched.result["action"] == "matched", matched.last_error
    assert Item.objects.filter(itno="MUG-1").count() == 1 and Item.objects.get(itno="MUG-1").itds == "Mug"

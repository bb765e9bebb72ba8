"""The demo creates flows 4–8 once; the polling schedules run every Infor flow and survive one failing."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from integrations.demo.flows import DEMO_FLOWS, infor_flows_demo_ensure
from integrations.flows.registry import flow_handler_for
from integrations.models import Connection, Flow
from integrations.setup import OBSOLETE_SCHEDULES, SCHEDULES, schedules_ensure
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue
from integrations.triggers.polling import flows_poll_due

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_flows_are_made_once_and_every_kind_is_registered(world):
    messages = []
    infor_flows_demo_ensure(messages.append)
    assert messages == ["Infor demo flows: already there."]
    assert set(Flow.objects.values_list("name", flat=True)) >= set(DEMO_FLOWS)
    for flow in Flow.objects.filter(name__in=DEMO_FLOWS):
        assert flow_handler_for(flow)  # every kind resolves through the registry


def _polled(now=None) -> dict:
    """The one poll schedule's run, as {flow name: {checked, queued} or {error}} like the Infor polls reported."""
    return {r.flow: {"error": r.error} if r.error else {"checked": r.checked, "queued": r.enqueued}
            for r in flows_poll_due(now=now)}


def test_polling_schedules_run_and_report_a_failing_flow_without_stopping(world, fault):
    schedules_ensure(lambda _: None)
    assert {s.func for s in Schedule.objects.all()} >= {func for _, func, _ in SCHEDULES}
    world.order()
    assert _polled()["infor-shipment-to-freshbooks-invoice"] == {"checked": 0, "queued": 0}
    fault("503", remaining=5)
    result = _polled(now=timezone.now() + timedelta(minutes=10))  # every Infor flow due again
    assert "unavailable" in result["infor-customer-to-freshbooks-client"]["error"]


def test_infor_flows_poll_on_the_one_schedule_and_the_old_infor_schedules_are_removed(world):
    # An install from before the one poller has the two Infor schedules; setup removes them.
    for name in OBSOLETE_SCHEDULES:
        Schedule.objects.create(name=name, func="integrations.tasks_infor.infor_orders_poll",
                                schedule_type=Schedule.MINUTES, minutes=1, repeats=-1)
    schedules_ensure(lambda _: None)
    assert not Schedule.objects.filter(name__in=OBSOLETE_SCHEDULES).exists()
    assert not Schedule.objects.filter(func__startswith="integrations.tasks_infor").exists()
    # The Infor demo flows poll without anyone setting an interval: the one-minute schedule reaches them.
    assert {"infor-shipment-to-freshbooks-invoice", "infor-customer-to-freshbooks-client"} <= set(_polled())


def test_an_unknown_step_is_a_dead_letter_naming_the_steps(world):
    flow = world.flow("order-to-cash-shopify")
    item, _ = sync_item_enqueue(flow=flow, source_object="order", source_id="1", step="teleport", dispatch=False)
    assert sync_item_process(item_id=item.pk) == "dead"
    item.refresh_from_db()
    assert "no step 'teleport'" in item.last_error and "infor_order" in item.last_error


def test_flows_without_an_infor_connection_say_which_setting_to_set(world):
    flow = world.flow("order-to-cash-shopify")
    flow.settings = {"infor_connection": "Nope"}
    flow.save()
    handler = flow_handler_for(flow)
    with pytest.raises(Exception, match="infor_connection"):
        handler.infor_connection  # noqa: B018
    assert Connection.objects.filter(system="infor").exists()


def test_infor_records_are_read_for_reconciliation_and_linked_in_the_timeline(world):
    from integrations.connectors.infor.records import infor_record_read
    from integrations.models import Binding
    from integrations.operations.timeline import record_link
    from tests.flows.infor.conftest import run_until_idle

    world.order()
    run_until_idle()
    binding = Binding.objects.get(connection__system="infor", object_type="order")
    assert infor_record_read(binding.connection, "order", binding.external_id) == {
        "amount": "25.00", "currency": "USD", "status": "open"}
    assert record_link(binding).endswith(f"/sandbox/infor/#order-{binding.external_id}")


def test_upgrade_gives_existing_infor_flows_the_interval_their_schedule_had(world):
    # An install from before the one poller: its Infor flows were polled by their own schedules
    # whatever poll_interval_minutes said (often 0, "never" for the one poller).
    from importlib import import_module

    from django.apps import apps

    Flow.objects.filter(source_connection__system="infor").update(poll_interval_minutes=0)
    import_module("integrations.migrations.0008_infor_flows_poll_interval").intervals_set(apps, None)
    intervals = dict(Flow.objects.filter(source_connection__system="infor").values_list("source_object",
                                                                                      "poll_interval_minutes"))
    assert intervals == {"order": 1, "customer": 5}
    assert {"infor-shipment-to-freshbooks-invoice", "infor-customer-to-freshbooks-client"} <= set(_polled())

"""Poll and backfill cursors are keyed by the flow's id: renaming a flow in the admin keeps them;
migration 0007 converts cursors keyed by flow name."""
from __future__ import annotations

import importlib
from datetime import datetime

import pytest
from django.apps import apps
from django.urls import reverse

from integrations.flows.forms import settings_form_data
from integrations.models import Cursor, Flow
from integrations.operations.backfill import backfill_start, flow_backfill
from integrations.triggers.polling import flow_poll
from tests.factories import ConnectionFactory, FlowFactory

OPP_FLOW = "sf-opportunity-to-fb-invoice"
migration = importlib.import_module("integrations.migrations.0007_cursor_flow")


def admin_rename(admin_client, flow: Flow, new_name: str) -> None:
    """Rename through the admin's change form, every other field posted as it is."""
    data = {"name": new_name, "title": flow.title, "kind": flow.kind, "source_connection": flow.source_connection_id,
            "source_object": flow.source_object, "target_connection": flow.target_connection_id or "",
            "target_object": flow.target_object, "trigger": flow.trigger,
            "poll_interval_minutes": flow.poll_interval_minutes, "mapping_set": flow.mapping_set_id or "",
            "conflict_policy": flow.conflict_policy, **settings_form_data(flow.kind, flow.settings),
            "max_attempts": flow.max_attempts or "", **({"enabled": "on"} if flow.enabled else {})}
    response = admin_client.post(reverse("admin:integrations_flow_change", args=[flow.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Flow.objects.get(pk=flow.pk).name == new_name


@pytest.mark.django_db(transaction=True)
def test_renaming_a_flow_in_the_admin_keeps_its_poll_and_backfill_cursors(world, admin_client):
    world.won_opportunity(account="Polled Co", email="a@polled.test")
    flow = Flow.objects.get(name=OPP_FLOW)
    first = flow_poll(flow=flow)
    assert first.error == "" and first.enqueued == 1
    watermark = Cursor.objects.get(flow=flow, stream="poll").value
    flow_backfill(flow=flow)
    stopped = Cursor.objects.get(flow=flow, stream="backfill").value
    assert watermark and stopped

    admin_rename(admin_client, flow, "opportunities-to-invoices")
    flow = Flow.objects.get(pk=flow.pk)
    again = flow_poll(flow=flow)
    # continues from the watermark, not from the initial lookback of a flow never polled
    assert again.error == "" and again.since == watermark
    assert datetime.fromisoformat(again.since) > datetime.fromisoformat(first.since)
    assert backfill_start(flow, None) == datetime.fromisoformat(stopped)  # the backfill resumes where it stopped
    # no cursor started afresh under the new name
    assert sorted(Cursor.objects.values_list("flow_id", "stream")) == [
        (flow.pk, "backfill"), (flow.pk, "poll"), (flow.pk, "poll-deleted")]


@pytest.mark.django_db
def test_migration_keys_cursors_by_flow_id_and_keeps_the_unmatched():
    flow = FlowFactory(name="sf-accounts")
    other = ConnectionFactory()
    poll = Cursor.objects.create(connection=flow.source_connection, stream="poll:sf-accounts", value="2024-05-01")
    deleted = Cursor.objects.create(connection=flow.source_connection, stream="poll-deleted:sf-accounts", value="x")
    backfill = Cursor.objects.create(connection=flow.source_connection, stream="backfill:sf-accounts", value="y")
    orphan = Cursor.objects.create(connection=flow.source_connection, stream="poll:renamed-long-ago", value="z")
    infor = Cursor.objects.create(connection=other, stream="infor-customers", value="20240501120000")

    migration.cursors_key_by_flow(apps, None)

    for cursor, stream in ((poll, "poll"), (deleted, "poll-deleted"), (backfill, "backfill")):
        cursor.refresh_from_db()
        assert (cursor.flow_id, cursor.stream) == (flow.pk, stream)
    assert poll.value == "2024-05-01"
    for cursor, stream in ((orphan, "poll:renamed-long-ago"), (infor, "infor-customers")):
        cursor.refresh_from_db()
        assert (cursor.flow_id, cursor.stream) == (None, stream)

    migration.cursors_key_by_name(apps, None)  # and back
    poll.refresh_from_db()
    assert (poll.flow_id, poll.stream) == (None, "poll:sf-accounts")

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from tests.factories import FlowFactory, SyncItemFactory

pytestmark = pytest.mark.django_db


def test_status_counts_per_flow_and_fails_on_dead():
    flow = FlowFactory(name="opportunity-to-invoice")
    SyncItemFactory(flow=flow, status="succeeded")
    SyncItemFactory(flow=flow, status="pending")
    SyncItemFactory(flow=flow, status="dead")
    out = io.StringIO()
    call_command("ledgerlink_status", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["flow"] == "opportunity-to-invoice" and row["dead"] == 1
    assert row["counts"]["succeeded"] == 1 and row["counts"]["pending"] == 1
    assert row["oldest_open_age_seconds"] is not None
    with pytest.raises(CommandError) as excinfo:
        call_command("ledgerlink_status", "--fail-on-dead", stdout=io.StringIO())
    assert excinfo.value.returncode == 1 and "1 dead item" in str(excinfo.value)


def test_status_passes_when_nothing_is_dead():
    SyncItemFactory(status="succeeded")
    call_command("ledgerlink_status", "--fail-on-dead", stdout=io.StringIO())


def test_groups_exist_with_the_right_powers():
    finance = set(Group.objects.get(name=FINANCE_GROUP).permissions.values_list("codename", flat=True))
    admin = set(Group.objects.get(name=ADMIN_GROUP).permissions.values_list("codename", flat=True))
    assert {"view_syncitem", "view_connection", "replay_syncitem", "resync_binding"} <= finance
    assert not {"change_connection", "delete_syncitem", "change_flow"} & finance
    assert {"change_connection", "change_flow", "delete_syncitem", "replay_syncitem"} <= admin


def test_setup_creates_the_admin_once_and_prints_the_login(monkeypatch):
    monkeypatch.setenv("LEDGERLINK_ADMIN_PASSWORD", "correct-horse-battery")
    out = io.StringIO()
    call_command("ledgerlink_setup", "--no-demo", stdout=out)
    assert "as admin / correct-horse-battery" in out.getvalue()
    out = io.StringIO()
    call_command("ledgerlink_setup", "--no-demo", stdout=out)  # second run reuses, prints again
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert "as admin / correct-horse-battery" in out.getvalue()
    from django_q.models import Schedule

    assert Schedule.objects.filter(func="integrations.tasks.flows_poll_due").count() == 1
    # the sweeper and alert evaluation run in each worker supervisor, not as queue tasks (issue 17)
    assert not Schedule.objects.filter(func__in=["integrations.tasks.sync_items_dispatch_due",
                                                 "monitoring.tasks.alert_rules_evaluate"]).exists()

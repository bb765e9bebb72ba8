"""Stuck polling is judged against the source's own changes (issue 16): a quiet stream, polled and
with nothing new, is not stuck however old its watermark; a source whose changes are not being read
is. Real polls of the Salesforce simulator over HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Flow
from integrations.sandbox.salesforce import services as sim
from integrations.triggers.polling import flow_poll
from monitoring.alerts.services import alert_rules_evaluate
from monitoring.models import Alert, AlertRule

OPP_FLOW = "sf-opportunity-to-fb-invoice"
pytestmark = pytest.mark.django_db(transaction=True)


def _stuck(now) -> list[str]:
    rule, _ = AlertRule.objects.get_or_create(name="Polling stuck", kind="cursor_lag", defaults={"window_minutes": 60})
    alert_rules_evaluate(now=now)
    return list(Alert.objects.filter(rule=rule, status="open").values_list("title", flat=True))


def test_a_quiet_stream_polled_with_nothing_new_is_not_stuck(world):
    world.won_opportunity(account="Quiet Co", email="a@quiet.test")
    flow = Flow.objects.get(name=OPP_FLOW)
    assert flow_poll(flow=flow).enqueued == 1
    later = timezone.now() + timedelta(hours=3)
    quiet = flow_poll(flow=flow, now=later)  # three hours on: the source has nothing new
    assert quiet.error == "" and quiet.enqueued == 0
    assert _stuck(later + timedelta(minutes=1)) == []  # its watermark is 3 h old: not a reason to alarm


def test_changes_the_poll_cannot_read_make_the_stream_stuck(world):
    world.won_opportunity(account="First Co", email="a@first.test")
    flow = Flow.objects.get(name=OPP_FLOW)
    assert flow_poll(flow=flow).enqueued == 1
    world.won_opportunity(account="Waiting Co", email="a@waiting.test")  # the source has a change…
    sim.org_configure(fault_unavailable=1000)  # …that no poll can read
    later = timezone.now() + timedelta(minutes=90)
    assert flow_poll(flow=flow, now=later).error
    name = flow.source_connection.name  # both of the flow's streams (changes, deletes) are unread
    assert sorted(t.split(" is ")[0] for t in _stuck(later)) == [f"Polling of {name}/poll", f"Polling of {name}/poll-deleted"]
    sim.org_configure(fault_unavailable=0)
    assert flow_poll(flow=flow, now=later).enqueued == 1  # read at last: caught up, the alert clears
    assert _stuck(later + timedelta(minutes=1)) == []

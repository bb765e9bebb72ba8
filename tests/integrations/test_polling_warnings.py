"""A flow polls unless set to 0; at 0 with no live event source (a webhook or change-event trigger
from an active connection whose system can deliver) its admin page and the dashboard say so."""
from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import Flow
from integrations.triggers.polling import flow_polling_warning
from tests.factories import ConnectionFactory, FlowFactory

pytestmark = pytest.mark.django_db


def test_the_admin_add_form_offers_the_default_interval(admin_client):
    page = admin_client.get(reverse("admin:integrations_flow_add")).content.decode()
    assert 'name="poll_interval_minutes" value="15"' in page


def test_a_flow_never_polled_without_a_live_event_source_is_flagged(admin_client):
    salesforce = ConnectionFactory(system="salesforce", name="Org")
    on_schedule = FlowFactory(name="polled-never", source_connection=salesforce, trigger=Flow.Trigger.POLL,
                              poll_interval_minutes=0)
    inactive = FlowFactory(name="events-from-an-inactive-connection", trigger=Flow.Trigger.CHANGE_EVENT,
                           poll_interval_minutes=0,
                           source_connection=ConnectionFactory(system="salesforce", name="Old org", is_active=False))
    events = FlowFactory(name="events-only", source_connection=salesforce, trigger=Flow.Trigger.CHANGE_EVENT,
                         poll_interval_minutes=0)
    polled = FlowFactory(name="polled", source_connection=salesforce, trigger=Flow.Trigger.POLL)
    assert polled.poll_interval_minutes == 15

    assert "trigger is the poll schedule" in flow_polling_warning(on_schedule)
    assert "Old org is inactive" in flow_polling_warning(inactive)
    assert flow_polling_warning(events) == "" and flow_polling_warning(polled) == ""

    page = admin_client.get(reverse("admin:integrations_flow_change", args=[on_schedule.pk])).content.decode()
    assert "Never polled (interval 0) and no live event source" in page
    page = admin_client.get(reverse("admin:integrations_flow_change", args=[events.pk])).content.decode()
    assert "Never polled" not in page and "its live event source delivers its changes" in page

    dashboard = admin_client.get("/monitoring/dashboard/").content.decode()
    assert dashboard.count("ll-polling-warning") == 2
    assert "Old org is inactive" in dashboard and "trigger is the poll schedule" in dashboard


def test_a_failed_poll_shows_on_the_flow_and_the_dashboard(admin_client):
    flow = FlowFactory(name="failing", source_connection=ConnectionFactory(system="salesforce"))
    Flow.objects.filter(pk=flow.pk).update(poll_error="Salesforce answered 503.", poll_failures=3)
    page = admin_client.get(reverse("admin:integrations_flow_change", args=[flow.pk])).content.decode()
    assert "Last 3 poll(s) failed" in page and "Salesforce answered 503." in page
    dashboard = admin_client.get("/monitoring/dashboard/").content.decode()
    assert "ll-poll-error" in dashboard and "Salesforce answered 503." in dashboard

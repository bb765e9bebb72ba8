"""The subscriber's state and lag on the dashboard and on the connection's admin page."""
import re
from datetime import timedelta

import pytest
from django.db.models.functions import Now
from django.utils import timezone

from integrations.models import PubSubSubscription, SubscriberLease
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription():
    connection = ConnectionFactory(system="salesforce", name="sf-prod")
    SubscriberLease.objects.create(connection=connection, holder="host-a:42:abcd",
                                   lease_until=Now() + timedelta(seconds=30), acquired_at=Now())
    now = timezone.now()
    return PubSubSubscription.objects.create(
        connection=connection, topic="/data/OpportunityChangeEvent", state="active", events_stored=7,
        last_event_at=now - timedelta(minutes=125), last_keepalive_at=now - timedelta(seconds=600), holder="host-a:42:abcd")


def test_dashboard_shows_state_lag_and_keepalive(client, admin_user, subscription):
    client.force_login(admin_user)
    page = client.get("/monitoring/dashboard/").content.decode()
    table = page[page.index('id="subscribers-table"'):]
    table = table[:table.index("</table>")]
    assert "/data/OpportunityChangeEvent" in table and "active" in table and "host-a:42:abcd" in table
    assert "2.1 h" in table and "10 min ago" in table  # stable for the seconds a slow machine may take


def test_a_lease_nobody_renews_shows_no_subscriber(client, admin_user, subscription):
    SubscriberLease.objects.update(lease_until=Now() - timedelta(seconds=1))
    client.force_login(admin_user)
    page = client.get(f"/admin/integrations/connection/{subscription.connection_id}/change/").content.decode()
    assert re.search(r"/data/OpportunityChangeEvent: no subscriber; lag 75\d\d s; last keepalive 6\d\d s ago; "
                     r"7 event\(s\) stored", page)

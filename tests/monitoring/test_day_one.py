"""Ready on day one (issue 16): the set-up creates the default alert rules once, and an alert e-mail
carries an absolute link that opens the records for a staff user."""
from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from integrations.permissions import FINANCE_GROUP
from monitoring.alerts.defaults import DEFAULT_RULES
from monitoring.alerts.services import alert_rules_evaluate
from monitoring.models import Alert, AlertRule
from tests.factories import ConnectionFactory, FlowFactory
from tests.integrations.staff_dataset import staff_user

from .seed import item

pytestmark = pytest.mark.django_db
PUBLIC = "https://ledgerlink.example.test"


def _setup() -> str:
    out = StringIO()
    call_command("ledgerlink_setup", "--no-demo", stdout=out)
    return out.getvalue()


def test_setup_creates_the_default_alert_rules_once(settings):
    settings.LEDGERLINK_ALERT_EMAIL = "finance@example.test"
    assert "Created default alert rules" in _setup()
    rules = {r.name: r for r in AlertRule.objects.all()}
    assert {(r.kind, int(r.threshold), r.window_minutes) for r in rules.values()} == {
        ("dead_letters_waiting", 0, 15), ("auth_failing", 0, 60), ("cursor_lag", 0, 60), ("sf_budget", 80, 60)}
    assert all(r.enabled and r.recipients() == ["finance@example.test"] for r in rules.values())

    AlertRule.objects.filter(kind="sf_budget").update(threshold=90)  # an operator's edit is kept
    assert "Created default alert rules" not in _setup()
    assert AlertRule.objects.count() == len(DEFAULT_RULES)
    assert AlertRule.objects.get(kind="sf_budget").threshold == 90


def test_alert_email_links_to_the_records_and_the_link_opens_them(settings, client, django_user_model):
    settings.LEDGERLINK_PUBLIC_URL, settings.LEDGERLINK_ALERT_EMAIL = PUBLIC, "finance@example.test"
    _setup()
    now = timezone.now()
    flow, other = FlowFactory(title="Expenses to GL"), FlowFactory(title="Other flow")
    waiting = [item(flow, status="dead", created=now - timedelta(hours=1), finished=now - timedelta(minutes=20),
                    source_id=f"EXP-{n}") for n in range(2)]
    item(flow, status="dead", created=now, finished=now - timedelta(minutes=2), source_id="EXP-fresh")
    other_dead = item(other, status="dead", created=now, finished=now - timedelta(minutes=2), source_id="OTHER-1")

    alert_rules_evaluate(now=now)
    alert = Alert.objects.get(status="open")
    assert alert.title == "2 dead letters waiting on Expenses to GL"  # the fresh one has not waited 15 minutes
    [message] = mail.outbox
    assert message.to == ["finance@example.test"]
    url = re.search(r"Dead letters of this flow: (\S+)", message.body).group(1)
    assert url.startswith(f"{PUBLIC}/admin/")

    client.force_login(staff_user(django_user_model, FINANCE_GROUP))
    page = client.get(url.removeprefix(PUBLIC))
    html = page.content.decode()
    assert page.status_code == 200
    listed = {int(pk) for pk in re.findall(r"Dead letter (\d+)<", html)}  # the error console's rows
    assert {w.pk for w in waiting} <= listed and other_dead.pk not in listed


def test_every_alert_kind_links_somewhere_that_opens(settings, client, django_user_model):
    """Each condition's link is a page a staff user can open (a wrong filter would answer ?e=1)."""
    from integrations.models import Connection

    settings.LEDGERLINK_PUBLIC_URL = PUBLIC
    ConnectionFactory(name="Books", token_state=Connection.TokenState.FAILING, last_auth_error="invalid_grant")
    ConnectionFactory(name="Sales", system="salesforce", api_usage={"api_usage": {"used": 90, "limit": 100}})
    _setup()
    alert_rules_evaluate()
    client.force_login(staff_user(django_user_model, FINANCE_GROUP))
    urls = [a.details["url"] for a in Alert.objects.filter(status="open")]
    assert len(urls) == 2
    for url in urls:
        response = client.get(url.removeprefix(PUBLIC))
        assert response.status_code == 200 and "?e=1" not in response.get("Location", ""), url

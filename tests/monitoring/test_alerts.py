"""Alert rules: open once, repeat at most every interval, resolve when clear; email and chat delivery."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.conf import settings
from django.core import mail

from integrations.models import Connection, Cursor, SyncItem
from monitoring.alerts.services import alert_rules_evaluate
from monitoring.findings import Found, findings_sync
from monitoring.models import Alert, AlertEvent, AlertRule, SyncAttempt
from tests.factories import ConnectionFactory, FlowFactory, SyncItemFactory

from .seed import NOW, item

pytestmark = pytest.mark.django_db


class ChatServer:
    """A local Slack-compatible endpoint that records what it is sent."""

    def __init__(self, status=200):
        received, self.status = [], status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.received = received
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T000/B000/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chat():
    with ChatServer() as server:
        yield server


def dead_items(flow, n):
    return [item(flow, status="dead", created=NOW - timedelta(hours=1), finished=NOW - timedelta(minutes=50)) for _ in range(n)]


def test_alert_opens_once_repeats_on_interval_and_resolves(chat):
    flow = FlowFactory(title="Opportunity → invoice")
    AlertRule.objects.create(name="dead", kind="dead_letters", threshold=2, repeat_minutes=60,
                             email_to="finance@example.com, ops@example.com", webhook_url=chat.url)
    items = dead_items(flow, 3)

    assert alert_rules_evaluate(now=NOW)["opened"] == 1
    alert = Alert.objects.get()
    assert alert.status == "open" and alert.title == "3 dead letters on Opportunity → invoice"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["finance@example.com", "ops@example.com"]
    assert "3 dead letters" in mail.outbox[0].subject
    assert len(chat.received) == 1 and "3 dead letters" in chat.received[0]["text"]
    # both channels end with the absolute link to the flow's dead letters (issue 16)
    link = f"{settings.LEDGERLINK_PUBLIC_URL}/admin/integrations/attentionitem/?flow={flow.pk}&kind=dead"
    assert mail.outbox[0].body.endswith(f"Dead letters of this flow: {link}")
    assert chat.received[0]["text"].endswith(f"Dead letters of this flow: {link}")

    # Still true 30 minutes later: no new alert and no new message (interval is 60 min).
    assert alert_rules_evaluate(now=NOW + timedelta(minutes=30)) == {"opened": 0, "repeated": 0, "resolved": 0, "failed_rules": 0}
    assert len(mail.outbox) == 1 and len(chat.received) == 1
    # After the interval: one reminder.
    assert alert_rules_evaluate(now=NOW + timedelta(minutes=61))["repeated"] == 1
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith("[Ledgerlink] Still happening")
    assert Alert.objects.count() == 1

    # Replayed down to 2 dead: the condition clears, the alert resolves and says so.
    SyncItem.objects.filter(pk=items[0].pk).update(status="pending")
    assert alert_rules_evaluate(now=NOW + timedelta(minutes=62))["resolved"] == 1
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_at is not None
    assert mail.outbox[-1].subject.startswith("[Ledgerlink] Resolved")
    assert [e.kind for e in AlertEvent.objects.filter(alert=alert)] == ["opened", "repeated", "resolved"]
    assert all(d["ok"] for e in alert.events.all() for d in e.deliveries)

    # It happens again: a new alert opens (the old one stays as history).
    SyncItem.objects.filter(pk=items[0].pk).update(status="dead")
    assert alert_rules_evaluate(now=NOW + timedelta(minutes=63))["opened"] == 1
    assert Alert.objects.filter(status="open").count() == 1 and Alert.objects.count() == 2


def test_failed_chat_delivery_is_recorded_not_raised():
    flow = FlowFactory()
    dead_items(flow, 1)
    with ChatServer(status=500) as chat:
        AlertRule.objects.create(name="dead", kind="dead_letters", threshold=0, webhook_url=chat.url)
        alert_rules_evaluate(now=NOW)
    event = AlertEvent.objects.get()
    assert event.deliveries == [{"channel": "webhook", "ok": False, "detail": "chat webhook to 127.0.0.1 answered 500"}]
    assert "secret-token" not in json.dumps(event.deliveries)


def test_disabled_rule_resolves_its_alerts_without_messages():
    flow = FlowFactory()
    dead_items(flow, 1)
    rule = AlertRule.objects.create(name="dead", kind="dead_letters", threshold=0, email_to="a@example.com")
    alert_rules_evaluate(now=NOW)
    rule.enabled = False
    rule.save()
    assert alert_rules_evaluate(now=NOW + timedelta(minutes=1))["resolved"] == 1
    assert len(mail.outbox) == 1


def _fires(kind, now=NOW, **fields) -> list[str]:
    rule = AlertRule.objects.create(name=kind + str(AlertRule.objects.count()), kind=kind, **fields)
    alert_rules_evaluate(now=now)
    return list(Alert.objects.filter(rule=rule, status="open").values_list("title", flat=True))


def test_consecutive_failures():
    flow = FlowFactory(title="Flow X")
    si = SyncItemFactory(flow=flow)
    for n, outcome in enumerate(["succeeded", "retrying", "retrying", "dead"], start=1):
        SyncAttempt.objects.create(sync_item=si, number=n, started_at=NOW - timedelta(minutes=10 - n), outcome=outcome)
    assert _fires("consecutive_failures", threshold=3) == ["3 failures in a row on Flow X"]
    assert _fires("consecutive_failures", threshold=4) == []


def test_no_success_while_events_arrive():
    quiet, stuck, fine = FlowFactory(title="quiet"), FlowFactory(title="stuck"), FlowFactory(title="fine")
    item(stuck, status="retrying", created=NOW - timedelta(minutes=20))
    item(fine, status="retrying", created=NOW - timedelta(minutes=20))
    item(fine, status="succeeded", created=NOW - timedelta(minutes=20), finished=NOW - timedelta(minutes=10), latency_s=600)
    assert _fires("no_success", window_minutes=30) == ["No successful sync on stuck for 30 min"]
    assert quiet  # no items at all: no alert for it


def test_cursor_lag():
    c = ConnectionFactory(name="Infor", system="infor")
    Cursor.objects.create(connection=c, stream="late", value=(NOW - timedelta(hours=2)).strftime("%Y%m%d%H%M%S"))
    Cursor.objects.create(connection=c, stream="fresh", value=(NOW - timedelta(minutes=5)).isoformat())
    assert _fires("cursor_lag", window_minutes=60) == ["Polling of Infor/late is 2 h behind"]


def test_auth_failing_and_salesforce_budget():
    ConnectionFactory(name="FB", token_state=Connection.TokenState.FAILING, last_auth_error="invalid_grant")
    ConnectionFactory(name="FB ok", token_state=Connection.TokenState.VALID)
    ConnectionFactory(name="SF high", system="salesforce", api_usage={"api-usage": "9000/10000"})
    ConnectionFactory(name="SF low", system="salesforce", api_usage={"DailyApiRequests": {"Max": 10000, "Remaining": 9000}})
    assert _fires("auth_failing") == ["Sign-in failing for FB"]
    assert _fires("sf_budget", threshold=80) == ["SF high has used 90.0% of its daily API budget"]


def test_anomaly_findings_feed_alerts():
    findings_sync(check_name="amount_mismatch", found=[Found("item:1", "t", "e")], examined=None, now=NOW)
    assert _fires("anomaly", threshold=0) == ["1 open findings: amount mismatch"]
    assert _fires("anomaly", threshold=1) == []


@pytest.mark.django_db
def test_chat_webhook_url_is_encrypted_at_rest():
    from monitoring.models import AlertRule

    rule = AlertRule.objects.create(name="dead letters", kind="dead_letters",
                                    webhook_url="https://hooks.example/services/T0/B0/canary-hook-token")
    raw = AlertRule.objects.filter(pk=rule.pk).values_list("webhook_url_encrypted", flat=True).get()
    assert raw and "canary-hook-token" not in raw
    assert AlertRule.objects.get(pk=rule.pk).webhook_url.endswith("/canary-hook-token")

"""Alert rules' chat-webhook URLs follow the outbound URL rule: refused when entered in the admin
(the message names the field and the host, never the URL's token) and again when an alert is
sent. Production rules (OUTBOUND_URLS_ALLOW_PRIVATE off); no traffic leaves the test."""
from __future__ import annotations

import pytest
from django.urls import reverse

from monitoring.alerts.channels import webhook_send
from monitoring.models import AlertRule
from tests import outbound_dns

# The patched resolver and the ban on sockets (tests/outbound_dns.py).
no_network, production = outbound_dns.no_network, outbound_dns.production

pytestmark = pytest.mark.django_db
TOKEN = "T0/B0/canary-hook-token"


def _rule_form(webhook_url: str) -> dict:
    return {"name": "dead letters", "kind": "dead_letters", "enabled": "on", "severity": "warning", "threshold": "0",
            "window_minutes": "60", "repeat_minutes": "240", "webhook_url": webhook_url}


@pytest.mark.parametrize("webhook_url, message", [
    (f"http://api.example.com/services/{TOKEN}", "The chat webhook URL must use https://"),
    (f"https://169.254.169.254/services/{TOKEN}", "The chat webhook URL points at 169.254.169.254, a link-local"),
    (f"https://intranet.example.com/services/{TOKEN}", "intranet.example.com (10.1.2.3), a private address"),
    (f"https://good.com@127.0.0.1/services/{TOKEN}", "must not carry a user name or password"),
])
def test_admin_refuses_a_chat_webhook_url_and_says_why(client, admin_user, production, webhook_url, message):
    client.force_login(admin_user)
    response = client.post(reverse("admin:monitoring_alertrule_add"), _rule_form(webhook_url))
    page = response.content.decode()
    assert response.status_code == 200 and message in page and "canary-hook-token" not in page
    assert not AlertRule.objects.exists()


def test_admin_accepts_a_public_https_chat_webhook(client, admin_user, production):
    client.force_login(admin_user)
    response = client.post(reverse("admin:monitoring_alertrule_add"),
                           _rule_form(f"https://api.example.com/services/{TOKEN}"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AlertRule.objects.get().webhook_url.endswith(TOKEN)


def test_sending_to_a_webhook_that_now_resolves_privately_is_refused_before_connecting(production):
    rule = AlertRule.objects.create(name="r", kind="dead_letters",
                                    webhook_url=f"https://intranet.example.com/services/{TOKEN}")
    ok, detail = webhook_send(rule, "Dead letters", "3 dead letters")
    assert not ok and detail.startswith("chat webhook not called:") and "a private address" in detail
    assert "canary-hook-token" not in detail
    assert production["connects"] == []

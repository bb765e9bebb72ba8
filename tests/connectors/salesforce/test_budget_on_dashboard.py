"""The Salesforce API budget on the dashboard and in its alert, read from what the connector stores
after real calls to the simulator (issue 16: it showed "—" because the parser expected another shape)."""
from __future__ import annotations

from django.utils import timezone

from integrations.connectors.salesforce.client import SalesforceClient
from integrations.sandbox.salesforce import services as sim
from monitoring.alerts.services import alert_rules_evaluate
from monitoring.dashboard import dashboard_build
from monitoring.models import Alert, AlertRule
from tests.live_http import close_http_sessions  # noqa: F401  (autouse: no keep-alive thread outlives the test)


def _budget_row(connection) -> dict:
    rows = dashboard_build(window_key="24h", now=timezone.now())["connections"]
    return next(r for r in rows if r["id"] == connection.pk)["budget"]


def test_budget_shows_what_the_connector_stored_and_the_alert_fires_above_80_percent(sf, sf_connection):
    sim.org_configure(api_daily_limit=20)
    sf.query("SELECT Id FROM Account")
    sf_connection.refresh_from_db()
    stored = sf_connection.api_usage["api_usage"]  # the shape the connector writes from Sforce-Limit-Info
    assert set(stored) >= {"used", "limit", "seen_at"} and stored["limit"] == 20
    assert _budget_row(sf_connection) == {"used": stored["used"], "limit": 20,
                                          "percent": round(100.0 * stored["used"] / 20, 1)}

    rule = AlertRule.objects.create(name="Salesforce budget", kind="sf_budget", threshold=80)
    alert_rules_evaluate()
    assert not Alert.objects.filter(rule=rule, status="open").exists()  # well under 80 %

    urgent = SalesforceClient(sf_connection, urgent=True)  # non-urgent work pauses itself at 80 %
    while sf_connection.api_usage["api_usage"]["used"] < 17:  # 85 % of 20
        urgent.query("SELECT Id FROM Account")
        sf_connection.refresh_from_db()
    used = sf_connection.api_usage["api_usage"]["used"]
    assert _budget_row(sf_connection)["percent"] == round(100.0 * used / 20, 1) > 80
    alert_rules_evaluate()
    alert = Alert.objects.get(rule=rule, status="open")
    assert alert.title == f"{sf_connection.name} has used {round(100.0 * used / 20, 1)}% of its daily API budget"

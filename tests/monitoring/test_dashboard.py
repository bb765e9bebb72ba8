"""Every dashboard metric on a seeded dataset with known answers, from live rows and from rollups."""
from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.models import SyncItem
from monitoring.dashboard import dashboard_build, fmt_ms
from monitoring.models import FlowHourStat
from monitoring.rollups import metrics_rollup
from monitoring.windows import hist_percentile

from .seed import NOW, seed_known_dataset

pytestmark = pytest.mark.django_db


def _by(rows, key, value):
    return next(r for r in rows if r[key] == value)


@pytest.fixture
def data():
    return seed_known_dataset()


def _assert_known_answers(result, data):
    a = _by(result["flows"], "name", "opportunity-invoice")
    assert (a["received"], a["succeeded"], a["dead"], a["retries"]) == (6, 3, 1, 2)
    assert a["success_rate"] == 75.0
    assert a["latency_p50_ms"] == 5_000 and a["latency_p95_ms"] == 60_000
    assert a["backlog"] == 2 and a["oldest_pending_seconds"] == 7200
    assert a["dead_total"] == 1 and f"flow={data['flow_a'].pk}&kind=dead" in a["dead_url"]
    b = _by(result["flows"], "name", "payment-infor")
    assert (b["succeeded"], b["dead"], b["backlog"], b["success_rate"], b["latency_p50_ms"]) == (0, 0, 0, None, None)

    sf = _by(result["connections"], "name", "Salesforce prod")
    assert (sf["calls"], sf["errors"], sf["avg_ms"]) == (4, 1, 100)
    assert sf["budget"] == {"used": 12000, "limit": 15000, "percent": 80.0}
    assert sf["token_state"] == "expiring"
    fb = _by(result["connections"], "name", "FreshBooks")
    assert (fb["calls"], fb["token_state"], fb["budget"]) == (0, "failing", None)
    infor = _by(result["connections"], "name", "Infor M3")
    assert infor["token_state"] == "valid"
    assert infor["cursors"] == [{"stream": "OIS100MI.LstHead", "value": (NOW - timedelta(hours=3)).isoformat(),
                                 "lag_seconds": 10800.0, "basis": "watermark"}]
    assert result["systems"] == [{"system": "salesforce", "calls": 4, "errors": 1, "records": 4, "duration_sum_ms": 400}]

    series = result["series"]
    assert len(series["hours"]) == 25  # 2026-03-09 10:00 … 2026-03-10 10:00
    assert sum(series["succeeded"]) == 3 and series["succeeded"][23] == 3
    assert series["dead"][22] == 1 and series["retries"][23] == 2
    assert series["api_calls"]["salesforce"][23] == 3 and series["api_calls"]["salesforce"][24] == 1
    assert result["latency"]["counts"][0] == 1 and sum(result["latency"]["counts"]) == 3


def test_known_answers_from_live_rows(data):
    _assert_known_answers(dashboard_build(window_key="24h", now=NOW), data)


def test_known_answers_from_rollups_match_and_are_used(data):
    metrics_rollup(now=NOW)
    assert FlowHourStat.objects.filter(flow=data["flow_a"]).exists()
    _assert_known_answers(dashboard_build(window_key="24h", now=NOW), data)
    # Whole hours come from the rollup: deleting their raw rows does not change them...
    SyncItem.objects.filter(pk__in=[i.pk for i in data["ok"]]).delete()
    assert _by(dashboard_build(window_key="24h", now=NOW)["flows"], "name", "opportunity-invoice")["succeeded"] == 3
    # ...until the hour is rolled up again (the latest stored hour is redone on the next run).
    metrics_rollup(now=NOW + timedelta(hours=1))
    assert _by(dashboard_build(window_key="24h", now=NOW + timedelta(hours=1))["flows"], "name", "opportunity-invoice")["succeeded"] == 0


def test_windows_select_hours(data):
    one_hour = dashboard_build(window_key="1h", now=NOW)  # from 09:00
    a = _by(one_hour["flows"], "name", "opportunity-invoice")
    assert (a["succeeded"], a["dead"], a["retries"]) == (3, 0, 2)
    week = dashboard_build(window_key="7d", now=NOW)
    assert _by(week["flows"], "name", "opportunity-invoice")["succeeded"] == 4
    assert _by(week["connections"], "name", "FreshBooks")["calls"] == 1


def test_percentile_and_formatting():
    assert hist_percentile([0] * 16, 0.5) is None
    assert hist_percentile([1, 0, 1] + [0] * 13, 0.5) == 250
    assert hist_percentile([0] * 15 + [2], 0.5) == float("inf")
    assert (fmt_ms(250), fmt_ms(5000), fmt_ms(120000), fmt_ms(float("inf"))) == ("250 ms", "5 s", "2 min", "> 1 day")


def test_dashboard_page_is_staff_only_and_renders(client, admin_user, data, django_user_model):
    assert client.get("/monitoring/dashboard/").status_code == 302
    client.force_login(django_user_model.objects.create_user("clerk", password="pw"))
    assert client.get("/monitoring/dashboard/").status_code == 302
    client.force_login(admin_user)
    page = client.get("/monitoring/dashboard/?window=7d")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Opportunity → invoice" in html and "12000 / 15000 (80.0%)" in html
    assert "chart.umd.min.js" in html and 'id="ll-chart-data"' in html and "<table" in html
    assert "Robust z-score" in html and "/monitoring/dashboard/" in client.get("/admin/").content.decode()


def test_received_adds_up_to_succeeded_skipped_retrying_dead_and_open_on_the_page(client, admin_user):
    """Issue 16: "received" did not add up (skipped had no column). A seeded mix of every status,
    plus an item from before the window that must count nowhere."""
    import re

    from django.utils import timezone

    from tests.factories import FlowFactory

    from .seed import item

    now = timezone.now()
    flow = FlowFactory(title="Mixed flow")
    mix = {"succeeded": 4, "skipped": 3, "retrying": 2, "dead": 1, "pending": 2, "running": 1, "held": 1}
    for status, n in mix.items():
        for _ in range(n):
            finished = now - timedelta(minutes=5) if status in ("succeeded", "skipped", "dead") else None
            item(flow, status=status, created=now - timedelta(minutes=30), finished=finished)
    item(flow, status="succeeded", created=now - timedelta(days=3), finished=now - timedelta(minutes=5))

    client.force_login(admin_user)
    html = client.get("/monitoring/dashboard/?window=24h").content.decode()
    row = next(r for r in html.split("<tr") if "Mixed flow" in r)
    cell = {name: int(re.search(rf'class="ll-{name}">(\d+)<', row).group(1))
            for name in ("received", "succeeded", "skipped", "retrying", "dead", "open")}
    assert cell == {"received": 14, "succeeded": 4, "skipped": 3, "retrying": 2, "dead": 1, "open": 4}
    assert cell["received"] == cell["succeeded"] + cell["skipped"] + cell["retrying"] + cell["dead"] + cell["open"]

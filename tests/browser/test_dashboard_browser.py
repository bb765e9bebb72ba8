"""Headless Chromium (Debian's package, driven by Playwright) loads the dashboard and a deal
timeline in the `make run` set-up, checks the charts were drawn, and saves screenshots
under test-output/."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from integrations.setup import setup_run
from tests.integrations.test_timeline import deal as deal_fixture  # noqa: F401  (the timeline's dataset)
from tests.monitoring.seed import seed_known_dataset

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
OUTPUT = Path(settings.BASE_DIR) / "test-output" / "screenshots"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def make_run_state(monkeypatch, deal_fixture):  # noqa: F811
    """What `make run` does before serving (admin user, schedules, demo), plus engine rows to show."""
    monkeypatch.setenv("LEDGERLINK_ADMIN_USER", "admin")
    monkeypatch.setenv("LEDGERLINK_ADMIN_PASSWORD", "browser-test-pw")
    setup_run(write=lambda line: None)
    seed_known_dataset(now=timezone.now().replace(minute=20) - timedelta(hours=1))
    connection.close()  # the browser's event loop must not inherit this thread's connection
    return deal_fixture


@pytest.fixture
def browser_page(make_run_state, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; all ORM work is done before it starts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium package."
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def chart_drawn(page, canvas_id: str) -> bool:
    """The canvas has a Chart.js chart and non-blank pixels."""
    return page.evaluate("""id => {
        const c = document.getElementById(id);
        if (!c || !window.Chart || !Chart.getChart(c)) return false;
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) return true; }
        return false;
    }""", canvas_id)


def test_dashboard_and_timeline_in_a_browser(live_server, make_run_state, browser_page):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser_page
    # The Content-Security-Policy must block nothing these pages need: Chromium reports each refusal.
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "browser-test-pw")
    page.click("button[type=submit]")  # the admin theme's sign-in button
    page.wait_for_selector("#ll-monitoring-links")
    page.click("text=Sync dashboard")
    page.wait_for_selector("canvas#chart-throughput[data-rendered=true]", timeout=10_000)
    page.wait_for_selector("canvas#chart-latency[data-rendered=true]", timeout=10_000)
    assert chart_drawn(page, "chart-throughput") and chart_drawn(page, "chart-latency")
    assert "Opportunity → invoice" in page.inner_text("#flows-table")
    assert "80.0%" in page.inner_text("#connections-table")
    page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)

    page.click("text=Show as table >> nth=0")  # the plain-table fallback is one click away
    assert page.is_visible("text=Succeeded >> nth=1")

    page.goto(f"{live_server.url}/integrations/timeline/{make_run_state['pay'].pk}/")
    page.wait_for_selector("#chain")
    assert "INV-0077" in page.inner_text("#chain")
    assert "invoices.create" in page.inner_text("#events-table")
    page.screenshot(path=str(OUTPUT / "timeline.png"), full_page=True)
    for path in ("/sandbox/", "/sandbox/freshbooks/", "/sandbox/salesforce/", "/sandbox/infor/", "/sandbox/shop/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui"), path  # styled
    for path in ("/admin/mappings/mappingset/", "/integrations/reconcile/"):
        page.goto(f"{live_server.url}{path}")
    assert refused == []
    assert (OUTPUT / "dashboard.png").stat().st_size > 10_000

"""The README's "For finance" screenshots, taken as a Finance staff user in the `make run` set-up:
*Needs attention*, a record's timeline, the dashboard. `make screenshots` re-shoots them into
docs/img/ (otherwise they go to test-output/screenshots/ like every browser test's)."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from integrations.models import Flow
from integrations.permissions import FINANCE_GROUP
from integrations.setup import setup_run
from tests.browser.test_dashboard_browser import CHROMIUM, LAUNCH_ARGS
from tests.integrations.test_timeline import deal as deal_fixture  # noqa: F401  (a record with its history)
from tests.monitoring.seed import item, seed_known_dataset

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
NEEDS_ATTENTION = "/admin/integrations/attentionitem/"  # the error console
DOCS = Path(settings.BASE_DIR) / "docs" / "img"
OUTPUT = DOCS if os.environ.get("LEDGERLINK_SCREENSHOTS_TO_DOCS") else Path(settings.BASE_DIR) / "test-output" / "screenshots"
HOTEL_CAUSE = ("freshbooks-expense-to-infor-gl|map|MappingError|expense-category-to-gl-account|Hotel/Lodging/Accommodation",
               "account 'Hotel/Lodging/Accommodation' not in expense-category-to-gl-account")
FAILED_EXPENSES = [
    ("EXP-2291", "Hotel Adlon Kempinski", "412.80", HOTEL_CAUSE, "expense category 'Hotel/Lodging/Accommodation' not in value table expense-category-to-gl-account "
                 "(while mapping the record). Fix the data or the mapping, then replay."),
    ("EXP-2294", "Hotel Bristol", "289.00", HOTEL_CAUSE, "expense category 'Hotel/Lodging/Accommodation' not in value table expense-category-to-gl-account "
                 "(while mapping the record). Fix the data or the mapping, then replay."),
    ("EXP-2302", "Initrode Catering", "96.50", ("", ""), "vendor 'Initrode Catering' has no supplier number in Infor M3 (while writing to the target). "
                 "Fix the cause, then replay."),
]


@pytest.fixture
def finance_world(monkeypatch, deal_fixture):  # noqa: F811
    """What `make run` does before serving, a day of syncing, failed expenses, and a finance login."""
    monkeypatch.setenv("LEDGERLINK_ADMIN_USER", "admin")
    monkeypatch.setenv("LEDGERLINK_ADMIN_PASSWORD", "browser-test-pw")
    setup_run(write=lambda line: None)
    now = timezone.now()
    seed_known_dataset(now=now.replace(minute=20) - timedelta(hours=1))
    expenses = Flow.objects.filter(source_object="expense").first() or Flow.objects.order_by("pk").first()
    for n, (source_id, vendor, amount, (cause_key, cause_label), reason) in enumerate(FAILED_EXPENSES):
        item(expenses, status="dead", created=now - timedelta(hours=3 - n), finished=now - timedelta(hours=2 - n),
             source_object=expenses.source_object, source_id=source_id, attempts=1, last_error=reason,
             last_error_class="MappingError", cause_key=cause_key, cause_label=cause_label,
             source_snapshot={"id": source_id, "vendor": vendor, "amount": {"amount": amount, "code": "EUR"},
                              "date": (now - timedelta(days=2)).date().isoformat()})
    clerk = get_user_model().objects.create_user("maria", password="finance-pw", is_staff=True,
                                                 first_name="Maria", last_name="Santos")
    clerk.groups.add(clerk.groups.model.objects.get(name=FINANCE_GROUP))
    connection.close()  # the browser's event loop must not inherit this thread's connection
    return deal_fixture


@pytest.fixture
def page(finance_world, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # all ORM work is done before the loop starts
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium package."
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser.new_page(viewport={"width": 1366, "height": 900})
        browser.close()


def test_finance_screenshots(live_server, finance_world, page):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", "finance-pw")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}{NEEDS_ATTENTION}")
    page.wait_for_selector("#attention-items")
    assert "EXP-2291" in page.content()
    page.screenshot(path=str(OUTPUT / "finance-needs-attention.png"))

    page.goto(f"{live_server.url}/integrations/timeline/{finance_world['pay'].pk}/")
    page.wait_for_selector("#chain")
    assert "INV-0077" in page.inner_text("#chain")
    page.screenshot(path=str(OUTPUT / "finance-record.png"))

    page.goto(f"{live_server.url}/monitoring/dashboard/")
    page.wait_for_selector("canvas#chart-throughput[data-rendered=true]", timeout=10_000)
    page.screenshot(path=str(OUTPUT / "finance-dashboard.png"))
    for name in ("finance-needs-attention", "finance-record", "finance-dashboard"):
        assert (OUTPUT / f"{name}.png").stat().st_size > 10_000, name

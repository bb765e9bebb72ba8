"""The admin as a Finance staff user sees it, in headless Chromium at 1366 px (the harness of
test_dashboard_browser.py): Ledgerlink's name and the job groups, a vendor found from the sidebar's search
box, and the pages finance works in measured to fit the screen. Screenshots in test-output/screenshots/."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from integrations.models import SyncItem
from integrations.permissions import FINANCE_GROUP
from mappings.models import MappingSet
from monitoring.models import Finding
from tests.browser.test_dashboard_browser import CHROMIUM, LAUNCH_ARGS, OUTPUT
from tests.browser.test_dashboard_browser import make_run_state  # noqa: F401  (`make run`'s state)
from tests.factories import FlowFactory, SyncItemFactory
from tests.integrations.test_timeline import deal as deal_fixture  # noqa: F401  (the timeline's dataset)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WIDTH = 1366
PASSWORD = "finance-browser-pw"
REASON = ("Expense category 'Hotel/Lodging/Accommodation' is not in value table expense-category-to-gl-account "
          "(mapping the record). Fix the data or the mapping, then replay.")

# Elements wider than their box that scroll sideways (a table in an overflow-x container): the page
# itself may be 1366 px wide while its columns are not on screen. (A title cut short with an ellipsis
# is overflow hidden, not a scroll.)
SIDEWAYS = """() => [...document.querySelectorAll('#main *, #content-main *, main *')]
    .filter(e => e.clientWidth > 200 && e.scrollWidth > e.clientWidth + 1
                 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
    .map(e => `${e.tagName}.${String(e.className).slice(0, 40)} ${e.scrollWidth}/${e.clientWidth}`)"""


@pytest.fixture
def finance_world(make_run_state, django_user_model):  # noqa: F811
    """A Finance staff user; a failed expense (never bound) and a long-reasoned dead letter to list."""
    user = django_user_model.objects.create_user("fiona", "fiona@example.test", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    flow = FlowFactory(title="Expense → Infor GL journal", source_object="expense", target_object="gl_journal")
    expense = SyncItemFactory(flow=flow, source_object="expense", source_id="5501", status=SyncItem.Status.DEAD,
                              attempts=1, last_error=REASON, last_error_class="MappingError",
                              source_snapshot={"vendor": "Hotel Adlon Kempinski", "amount": {"amount": "412.80",
                                                                                              "code": "EUR"}})
    mapping_set = max(MappingSet.objects.all(), key=lambda m: m.field_mappings.count())
    now = timezone.now()
    finding = Finding.objects.create(
        check_name="amount_mismatch", fingerprint="browser-1", flow=flow, first_seen_at=now, last_seen_at=now,
        assignee=user, title="Invoice INV-2024-0117 for Initrode Corporation: FreshBooks total 12,480.00 EUR differs "
                            "from the Opportunity amount 12,840.00 EUR (a typo in the line quantity?)")
    connection.close()  # the browser's event loop must not inherit this thread's connection
    return {"expense": expense, "mapping_set": mapping_set, "deal": make_run_state, "finding": finding}


@pytest.fixture
def page(finance_world, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium package."
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser.new_page(viewport={"width": WIDTH, "height": 900})
        browser.close()


def _fits(page, name: str) -> None:
    page.screenshot(path=str(OUTPUT / f"admin-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name}: the page is {width} px wide"
    assert page.evaluate(SIDEWAYS) == [], f"{name}: something scrolls sideways"


def _header_on_screen(page, text: str) -> None:
    right = page.evaluate("""text => {
        const th = [...document.querySelectorAll('#result_list thead th')].find(h => h.innerText.trim() === text);
        return th ? th.getBoundingClientRect().right : null; }""", text)
    assert right is not None and right <= WIDTH, f"column {text!r} ends at {right}"


def test_finance_admin_branding_navigation_search_and_widths(live_server, finance_world, page):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    problems = []  # a refusal of the Content-Security-Policy, an Alpine expression that cannot run, a script error
    page.on("console", lambda m: ("Content Security Policy" in m.text or "Alpine" in m.text) and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    assert "Ledgerlink" in page.title() and "Django" not in page.content()
    page.fill("#id_username", "fiona")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#ll-home")
    page.screenshot(path=str(OUTPUT / "admin-home.png"), full_page=True)
    assert "Ledgerlink" in page.inner_text("#nav-sidebar-inner") and "Django administration" not in page.content()
    sidebar = page.inner_text("#nav-sidebar-apps")
    for group in ("Work", "Deals", "Monitoring", "Setup"):
        assert group in sidebar
    for hidden in ("Internals", "tasks", "Users", "social-auth"):  # machinery is not finance's business
        assert hidden not in sidebar and hidden not in page.inner_text("#ll-home")
    page.click("#ll-sidebar-toggle")  # the theme's controls run under the CSP: the sidebar folds away and back
    page.wait_for_selector("#nav-sidebar-inner", state="hidden")
    page.click("#ll-sidebar-toggle")
    page.wait_for_selector("#nav-sidebar-inner", state="visible")
    assert page.get_attribute("#nav-sidebar-apps a:has-text('Needs attention')", "href").endswith(
        "/admin/integrations/attentionitem/")

    # One box on every page: a vendor's name finds the failed expense, one click opens it.
    page.fill("#ll-records-search-q", "adlon")
    page.press("#ll-records-search-q", "Enter")
    page.wait_for_selector("#ll-search-items")
    page.screenshot(path=str(OUTPUT / "admin-search.png"), full_page=True)
    page.click("#ll-search-items a")
    page.wait_for_url(f"**/admin/integrations/syncitem/{finance_world['expense'].pk}/change/")
    assert "Hotel Adlon Kempinski" in page.content()

    page.goto(f"{live_server.url}/admin/integrations/syncitem/")
    _fits(page, "sync-items")
    _header_on_screen(page, "Status")
    _header_on_screen(page, "Reason")
    page.goto(f"{live_server.url}/admin/integrations/deadletter/")
    assert "Hotel/Lodging/Accommodation" in page.inner_text("#result_list")
    _fits(page, "dead-letters")
    _header_on_screen(page, "Reason")
    page.goto(f"{live_server.url}/admin/mappings/mappingset/{finance_world['mapping_set'].pk}/change/")
    page.wait_for_selector(".ll-json")
    _fits(page, "mapping-set")
    page.goto(f"{live_server.url}/integrations/timeline/entity/{finance_world['deal']['e']['deal'].pk}/")
    page.wait_for_selector("#chain")
    _fits(page, "timeline")
    page.goto(f"{live_server.url}/monitoring/dashboard/")
    _fits(page, "dashboard")
    page.goto(f"{live_server.url}/admin/monitoring/finding/")
    assert "Initrode Corporation" in page.inner_text("#result_list")
    _fits(page, "findings")
    _header_on_screen(page, "Assignee")
    page.goto(f"{live_server.url}/admin/monitoring/finding/{finance_world['finding'].pk}/change/")
    _fits(page, "finding")
    assert problems == []

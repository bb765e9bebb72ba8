"""The finance walkthrough of issue 16, in headless Chromium at 1366 px, as a Finance staff user, over
the real expense flow (FreshBooks → Infor GL, simulators over HTTP): from the admin home, search the
vendor, open the failed expense from *Needs attention*, follow the fix link to the value table with the
missing key prefilled, add the row to the draft, publish it, replay the item and see it succeed, and see
the older dead letter of the same expense resolved by that success. Screenshots of every step in
test-output/screenshots/finance-fix-*.png."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from integrations.models import SyncItem
from integrations.permissions import FINANCE_GROUP, groups_sync
from integrations.sync.items import sync_item_enqueue
from mappings.models import ValueTable
from tests.browser.test_dashboard_browser import CHROMIUM, LAUNCH_ARGS, OUTPUT
from tests.connectors.infor.conftest import fault, ionapi_text, m3_connection, sim_app  # noqa: F401  (fixtures)
from tests.flows.infor.conftest import run_until_idle, world  # noqa: F401  (the sandbox world over HTTP)
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)
from tests.sandbox.freshbooks.fixtures import fb  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WIDTH = 1366
PASSWORD = "finance-walkthrough-pw"
TABLE = "expense-category-to-gl-account"
HOTEL = "Hotel/Lodging/Accommodation"
VENDOR = "Hotel Adlon Kempinski"


@pytest.fixture
def failed_expense(world, django_user_model):  # noqa: F811
    """One expense in a category the value table lacks, changed twice: two dead letters of one record."""
    groups_sync()
    user = django_user_model.objects.create_user("fiona", "fiona@example.test", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    category = next(c["id"] for c in world.fb.expense_categories.iterate() if c["category"] == HOTEL)
    expense = world.fb.expenses.create({"amount": {"amount": "412.80", "code": "USD"}, "categoryid": category,
                                        "date": "2024-05-01", "staffid": 1, "vendor": VENDOR, "notes": "Berlin"})
    flow = world.flow("freshbooks-expense-to-infor-gl")
    dead = []
    for notes in (None, "Berlin, two nights"):  # the second change of the same expense: a newer item
        if notes:
            world.fb.expenses.update(expense["id"], {"notes": notes})
        item, created = sync_item_enqueue(flow=flow, source_object="expense", source_id=str(expense["id"]),
                                          dispatch=False)
        assert created
        run_until_idle()
        item.refresh_from_db()
        assert item.status == SyncItem.Status.DEAD, item.last_error
        dead.append(item)
    connection.close()  # the browser's event loop must not inherit this thread's connection
    return {"older": dead[0], "newer": dead[1], "table": ValueTable.objects.get(name=TABLE)}


@pytest.fixture
def page(failed_expense, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser.new_page(viewport={"width": WIDTH, "height": 900})
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(OUTPUT / f"finance-fix-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name}: the page is {width} px wide"


def test_finance_finds_fixes_publishes_and_replays_a_failed_expense(live_server, failed_expense, page):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    older, newer, table = failed_expense["older"], failed_expense["newer"], failed_expense["table"]
    problems = []
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    # 1. The admin home, as Finance staff.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#ll-home")
    _shot(page, "1-home")

    # 2. The vendor's name in the one search box finds the failed expense.
    page.fill("#ll-records-search-q", "Adlon")
    page.press("#ll-records-search-q", "Enter")
    page.wait_for_selector("#ll-search-items")
    assert VENDOR in page.inner_text("#ll-search-items")
    _shot(page, "2-search")

    # 3. Needs attention: both dead letters of the expense, one cause; open the newer.
    page.click("#nav-sidebar-apps a:has-text('Needs attention')")
    page.wait_for_selector("#attention-items")
    listed = page.inner_text("#attention-items")
    assert VENDOR in listed and "412.80 USD" in listed
    assert f"'{HOTEL}' not in {TABLE}" in page.inner_text("#cause-groups")
    _shot(page, "3-needs-attention")
    page.click(f"#attention-items >> text=Dead letter {newer.pk}")
    page.wait_for_selector("#business-fields")
    assert VENDOR in page.inner_text("#business-fields")  # the snapshot was kept although mapping failed
    _shot(page, "4-item")

    # 4. The fix link opens the value table's draft with the missing key already in a new row.
    page.click("#fix-links a[href*='add_key=']")
    page.wait_for_selector("#published-rows")
    key_inputs = page.locator("input[name^='draft_entries-'][name$='-source_value']")
    prefilled = [i for i in range(key_inputs.count()) if key_inputs.nth(i).input_value() == HOTEL]
    assert prefilled, "the missing key is not prefilled"
    row_name = key_inputs.nth(prefilled[0]).get_attribute("name").replace("-source_value", "-target_value")
    page.fill(f"input[name='{row_name}']", "6420")
    _shot(page, "5-draft-row")
    page.click("button[name=_continue], input[name=_continue]")
    page.wait_for_selector("text=unpublished change")
    assert HOTEL not in page.inner_text("#published-rows")  # a draft is not in force yet

    # 5. Preview & publish.
    page.click("text=Preview & publish the draft")
    page.wait_for_selector("#draft-diff")
    assert HOTEL in page.inner_text("#draft-diff") and "6420" in page.inner_text("#draft-diff")
    _shot(page, "6-preview")
    page.fill("input[name=note]", "Hotels book to travel (6420)")
    page.click("input[value='Publish the draft']")
    page.wait_for_selector("#published-rows")
    assert HOTEL in page.inner_text("#published-rows") and "fiona" in page.inner_text("#versions")
    _shot(page, "7-published")

    # 6. Replay the item; a worker runs it (the engine, as a worker does); it succeeds.
    page.goto(f"{live_server.url}/admin/integrations/attentionitem/item/{newer.pk}/")
    page.click("input[type=submit][value=Replay]")
    page.wait_for_load_state()
    run_until_idle()
    connection.close()  # opened in Playwright's context: closed here, or PostgreSQL cannot drop the test database
    page.goto(f"{live_server.url}/admin/integrations/attentionitem/item/{newer.pk}/")
    assert "Succeeded" in page.inner_text("#business-fields")
    _shot(page, "8-succeeded")

    # 7. The older dead letter of the same expense resolved itself, saying why; nothing is left to do.
    page.goto(f"{live_server.url}/admin/integrations/attentionitem/item/{older.pk}/")
    assert "Resolved" in page.inner_text("#business-fields")
    assert f"Resolved by the success of item {newer.pk}." in page.content()
    _shot(page, "9-older-resolved")
    page.click("#nav-sidebar-apps a:has-text('Needs attention')")
    page.wait_for_selector("#attention-items")
    assert VENDOR not in page.inner_text("#attention-items")

    older.refresh_from_db()
    newer.refresh_from_db()
    connection.close()
    assert (newer.status, older.status, older.resolution) == ("succeeded", "dead", "resolved")
    assert table.entries.filter(source_value=HOTEL, target_value="6420").exists()
    assert problems == []

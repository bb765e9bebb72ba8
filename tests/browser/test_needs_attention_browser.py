"""A Finance staff user in headless Chromium works a dead letter on *Needs attention*: assigns it,
adds a note and resolves it; then fixes another with *Edit & retry* of one field, which succeeds.
Screenshots of each step under test-output/screenshots/."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from integrations.models import ItemAction, SyncItem
from integrations.permissions import FINANCE_GROUP, groups_sync
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue
from tests.browser.test_dashboard_browser import CHROMIUM, LAUNCH_ARGS, OUTPUT
from tests.factories import FlowFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
RECORDS = {"001A": {"Name": "Acme Ltd", "Email": "ap@acme.test", "Amount": "120.00", "CurrencyIsoCode": "EUR"},
           "001B": {"Name": "Initrode", "Email": "old@initrode.test", "Amount": "80.00", "CurrencyIsoCode": "USD"}}


def _dead(flow, source_id) -> SyncItem:
    item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id=source_id, dispatch=False)
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == "dead"
    return item


@pytest.fixture
def worked(django_user_model):
    groups_sync()
    user = django_user_model.objects.create_user("fiona", password="browser-test-pw", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    # The target refuses the e-mail it has until it is edited to the billing address.
    flow = FlowFactory(name="accounts-to-clients", settings={"records": RECORDS, "fail": [
        {"step": "create", "kind": "fatal", "message": "FreshBooks refused the e-mail address",
         "unless": {"email": "billing@initrode.test"}}]})
    items = {"acme": _dead(flow, "001A"), "initrode": _dead(flow, "001B")}
    connection.close()  # the browser's event loop must not inherit this thread's connection
    return user, items


@pytest.fixture
def page(worked, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser.new_page(viewport={"width": 1366, "height": 900})
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(OUTPUT / f"needs-attention-{name}.png"), full_page=True)


def test_finance_assigns_notes_resolves_and_edits_and_retries(live_server, worked, page):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    user, items = worked
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "browser-test-pw")
    page.click("button[type=submit]")
    page.click("text=Needs attention")
    page.wait_for_selector("#attention-items")
    table = page.inner_text("#attention-items")
    assert "Acme Ltd" in table and "120.00 EUR" in table and "Initrode" in table
    assert "2" in page.inner_text("#cause-groups .group-count")  # both failed for one reason
    _shot(page, "1-list")

    page.click(f"#attention-items >> text=Dead letter {items['acme'].pk}")
    page.wait_for_selector("#business-fields")
    assert "Acme Ltd" in page.inner_text("#business-fields")
    page.select_option("#assign-form select[name=assignee]", label="fiona")
    page.click("#assign-form input[type=submit]")
    page.wait_for_selector("#assignee:has-text('fiona')")
    page.fill("#note-form textarea", "Called Acme: they closed this account.")
    page.click("#note-form input[type=submit]")
    page.wait_for_selector("#notes:has-text('Called Acme')")
    _shot(page, "2-assigned-and-noted")
    page.click("#resolve-form button[value=resolve]")  # without the required note the browser refuses
    assert page.is_visible("#resolve-form")
    page.fill("#resolve-form textarea", "Account closed; nothing to sync.")
    page.click("#resolve-form button[value=resolve]")
    page.wait_for_selector("text=Item %d resolved." % items["acme"].pk)
    assert "Resolved" in page.inner_text("#business-fields")
    _shot(page, "3-resolved")

    page.goto(f"{live_server.url}/admin/integrations/attentionitem/item/{items['initrode'].pk}/")
    page.fill("#id_overrides", 'email = "billing@initrode.test"')
    page.click("#edit-retry-form input[type=submit]")
    page.wait_for_selector(f"text=Item {items['initrode'].pk} queued again.")
    SyncItem.objects.filter(pk=items["initrode"].pk).update(next_attempt_at=timezone.now())
    sync_item_process(item_id=items["initrode"].pk)  # what a worker does with the queued item
    connection.close()  # opened in Playwright's context: closed here, or PostgreSQL cannot drop the test database
    page.reload()
    assert "Succeeded" in page.inner_text("#business-fields")
    assert "billing@initrode.test" in page.inner_text("#payload")
    assert "old@initrode.test" in page.inner_text("#snapshot")  # the source record as read: never written
    assert "edit_retry" in page.inner_text("#item-history")
    _shot(page, "4-edit-and-retry")

    acme = SyncItem.objects.get(pk=items["acme"].pk)
    assert (acme.resolution, acme.resolved_by_id, acme.assignee_id) == ("resolved", user.pk, user.pk)
    assert [a.action for a in ItemAction.objects.filter(item=acme).order_by("pk")] == ["assigned", "noted", "resolved"]
    assert get_user_model().objects.get(pk=user.pk).groups.filter(name=FINANCE_GROUP).exists()
    connection.close()
    assert refused == []

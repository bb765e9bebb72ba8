"""The mapping canvas in headless Chromium at 1366 px, as the Integration admin, over a real flow (FreshBooks and
Salesforce simulators over HTTP): open a draft mapping set, link three fields (one by drag, one by click-click,
one by keyboard alone), add a transform to one link and see the preview change, publish with the diff, then the
flow using that set syncs a record with the new mapping. Screenshots in test-output/screenshots/canvas-*.png
(docs/img/ with LEDGERLINK_SCREENSHOTS_TO_DOCS=1, for the README's "Build a flow without code").

The flow and objects are module constants: the generic record-sync flow (kind record_sync) from a FreshBooks
invoice to the Salesforce custom object FreshBooks_Invoice__c, and a new one built as the README says."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from integrations.models import SyncItem
from mappings.models import MappingSet
from mappings.services import mapping_set_draft_create
from tests.browser.test_dashboard_browser import CHROMIUM, LAUNCH_ARGS
from tests.flows.conftest import world  # noqa: F401  (simulators over HTTP, the default flows)
from tests.flows.test_record_sync import fb_invoice, linked_client
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)
from tests.sandbox.freshbooks.fixtures import fb, fb_connection  # noqa: F401
from tests.sandbox.salesforce.fixtures import sf_app, sf_connection, sf_connection_unconnected, sf_root  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WIDTH = 1366
PASSWORD = "canvas-browser-pw"
DOCS = Path(settings.BASE_DIR) / "docs" / "img"
OUTPUT = DOCS if os.environ.get("LEDGERLINK_SCREENSHOTS_TO_DOCS") else Path(settings.BASE_DIR) / "test-output" / "screenshots"
# What the canvas is tried on: the demo's generic flow into the custom object.
FLOW = "fb-invoice-to-sf-invoice-record"
MAPPING_SET = "freshbooks-invoice-to-salesforce-freshbooks-invoice"
SOURCE_OBJECT, TARGET_OBJECT = "invoice", "FreshBooks_Invoice__c"
DRAG, CLICKS, KEYS = ("currency_code", "Currency__c"), ("create_date", "Issue_Date__c"), ("v3_status", "Status__c")
TRANSFORM, TRANSFORMED = "lower", ("Currency__c", "usd")  # added to the dragged link; the value it gives


@pytest.fixture
def canvas_world(world, django_user_model):  # noqa: F811
    """The record synced once with the published set (a sample and a diff to show), and a draft without the three links."""
    django_user_model.objects.create_superuser("integrator", "integrator@example.test", PASSWORD)
    account, client = linked_client(world)
    record = fb_invoice(world, client)
    first = world.run(FLOW, SOURCE_OBJECT, record)
    assert first.status == SyncItem.Status.SUCCEEDED, first.last_error
    draft = mapping_set_draft_create(mapping_set=MappingSet.objects.get(name=MAPPING_SET, status="published"))
    draft.field_mappings.filter(parent=None, target_field__in=[DRAG[1], CLICKS[1], KEYS[1]]).delete()
    connection.close()  # the browser's event loop must not inherit this thread's connection
    return {"world": world, "record": record, "draft": draft, "first": first, "account": account, "client": client}


@pytest.fixture
def page(canvas_world, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser.new_page(viewport={"width": WIDTH, "height": 1000})
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(OUTPUT / f"canvas-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name}: the page is {width} px wide"


def _field(side: str, path: str) -> str:
    return f'button.ll-canvas-field[data-side="{side}"][data-path="{path}"]'


def _idle(page) -> None:
    """The canvas has saved, redrawn, previewed and put the keyboard back (keys typed earlier would go astray)."""
    page.wait_for_selector("#ll-canvas-app[data-ready=yes]:not([data-busy])")


def _linked(page, source: str, target: str) -> None:
    page.wait_for_selector(f'button.ll-canvas-link:text-is("{source} → {target}")')
    _idle(page)


def _previewed(page, text: str) -> None:
    """The live preview shows text (it is redrawn after each saved edit)."""
    page.wait_for_function("t => document.getElementById('ll-canvas-output').textContent.includes(t)", arg=text)


def test_build_a_mapping_on_the_canvas_publish_it_and_sync(live_server, canvas_world, page):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    sim, draft = canvas_world["world"], canvas_world["draft"]
    problems = []
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "integrator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")  # the admin theme's sign-in button

    # The draft's page, then its canvas: the unmapped targets, the sample's values on the left.
    page.goto(f"{live_server.url}/admin/mappings/mappingset/{draft.pk}/change/")
    page.click("a:has-text('Canvas') >> nth=0")
    page.wait_for_selector("#ll-canvas-app[data-ready=yes]")
    assert "USD" in page.inner_text(_field("source", DRAG[0]))
    assert page.locator("svg#ll-canvas-lines line").count() == draft.field_mappings.filter(parent=None).count()
    _shot(page, "start")

    # 1. Drag a source field onto its target.
    page.drag_and_drop(_field("source", DRAG[0]), _field("target", DRAG[1]))
    _linked(page, *DRAG)
    # 2. Click the source, then the target.
    page.click(_field("source", CLICKS[0]))
    assert page.get_attribute(_field("source", CLICKS[0]), "aria-pressed") == "true"
    page.click(_field("target", CLICKS[1]))
    _linked(page, *CLICKS)
    # 3. The keyboard alone: Tab to the source, Space, Tab to the target, Enter.
    page.focus(_field("source", KEYS[0]))
    page.keyboard.press("Space")
    while not page.evaluate(f"document.activeElement.matches('{_field('target', KEYS[1])}')"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    _linked(page, *KEYS)
    # Delete removes the focused link; link it again by keyboard.
    page.focus(_field("target", KEYS[1]))
    page.keyboard.press("Delete")
    page.wait_for_selector(f'button.ll-canvas-link:text-is("{KEYS[0]} → {KEYS[1]}")', state="detached")
    _idle(page)
    assert page.evaluate(f"document.activeElement.matches('{_field('target', KEYS[1])}')")  # the keyboard stays put
    page.focus(_field("source", KEYS[0]))
    page.keyboard.press("Enter")
    page.focus(_field("target", KEYS[1]))
    page.keyboard.press("Space")
    _linked(page, *KEYS)
    _previewed(page, '"Status__c": "draft"')

    # A transform on the dragged link: the preview changes.
    assert f'"{TRANSFORMED[0]}": "USD"' in page.inner_text("#ll-canvas-output")
    page.click(f'button.ll-canvas-link:text-is("{DRAG[0]} → {DRAG[1]}")')
    page.select_option("#ll-canvas-add-name", TRANSFORM)
    page.click("#ll-canvas-add")
    _previewed(page, f'"{TRANSFORMED[0]}": "{TRANSFORMED[1]}"')
    _idle(page)
    # A transform with arguments, each typed in its own field: the keyboard link's status "draft" reads "sent"
    # (a status the invoice is not in when it syncs below, so the record's status stays the invoice's own).
    page.click(f'button.ll-canvas-link:text-is("{KEYS[0]} → {KEYS[1]}")')
    page.select_option("#ll-canvas-add-name", "replace")
    assert page.locator("#ll-canvas-arg-regex option").all_inner_texts() == ["—", "yes", "no"]  # a bool argument
    page.fill("#ll-canvas-arg-old", "draft")
    page.fill("#ll-canvas-arg-new", "sent")
    page.click("#ll-canvas-add")
    _previewed(page, f'"{KEYS[1]}": "sent"')
    _idle(page)
    assert page.locator("svg#ll-canvas-lines line").count() == draft.field_mappings.filter(parent=None).count()
    _shot(page, "linked")

    # Publish with the diff.
    page.click("#ll-canvas-publish")
    assert TRANSFORMED[1] in page.inner_text("#content")
    _shot(page, "publish")
    page.check("input[name=confirm]")
    page.click('input[type=submit][value^="Publish version"]')
    page.wait_for_selector(f"text=Published {MAPPING_SET} version {draft.version}")
    assert problems == []

    # The flow now uses the published draft: a changed invoice (new date, partly paid) updates its custom record
    # through the three new links (without them the record would keep its first values).
    sim.fb_update(SOURCE_OBJECT, canvas_world["record"], {"create_date": "2026-07-15"})
    sim.pay(canvas_world["record"], "100.00")
    item = sim.run(FLOW, SOURCE_OBJECT, canvas_world["record"])
    assert item.status == SyncItem.Status.SUCCEEDED and item.result["action"] == "updated", item.last_error
    [record] = sim.sf_records(TARGET_OBJECT)
    assert record["Id"] == item.target_external_id and record["Account__c"] == canvas_world["account"]
    assert (record[TRANSFORMED[0]], record[CLICKS[1]], record[KEYS[1]]) == (TRANSFORMED[1], "2026-07-15", "partial")


# The README's "Build a flow without code", followed literally: a new mapping set, its canvas, publish, a new flow.
NEW_SET, NEW_FLOW, KIND = "freshbooks-invoice-to-salesforce-invoice", "invoices-to-salesforce", "record_sync"
SOURCE, TARGET = ("freshbooks", SOURCE_OBJECT), ("salesforce", TARGET_OBJECT)
NEW_LINKS = [("invoice_number", "Name"), ("currency_code", "Currency__c")]


@pytest.mark.postgres  # enabling runs the pre-flight checks against the simulators inside the admin's transaction
def test_the_readme_walkthrough_builds_a_new_flow(live_server, canvas_world, page):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    sim = canvas_world["world"]
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "integrator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # 1. Setup → Mapping sets → Add mapping set.
    page.click("text=Mapping sets")
    page.click('a[title="Add mapping set"]')  # the list's + button
    page.fill("#id_name", NEW_SET)
    page.fill("#id_source_system", SOURCE[0])
    page.fill("#id_source_object", SOURCE[1])
    page.fill("#id_target_system", TARGET[0])
    page.fill("#id_target_object", TARGET[1])
    page.click("button[name=_continue], input[name=_continue]")
    # 2. Canvas: link by click-click and by drag.
    page.click("a:has-text('Canvas') >> nth=0")
    page.wait_for_selector("#ll-canvas-app[data-ready=yes]")
    assert "ll-canvas-missing" in page.get_attribute(_field("target", "Name"), "class")  # required, not linked yet
    page.click(_field("source", NEW_LINKS[0][0]))
    page.click(_field("target", NEW_LINKS[0][1]))
    _linked(page, *NEW_LINKS[0])
    assert "ll-canvas-missing" not in page.get_attribute(_field("target", "Name"), "class")
    page.drag_and_drop(_field("source", NEW_LINKS[1][0]), _field("target", NEW_LINKS[1][1]))
    _linked(page, *NEW_LINKS[1])
    # 3. A transform on a link.
    page.click(f'button.ll-canvas-link:text-is("{NEW_LINKS[1][0]} → {NEW_LINKS[1][1]}")')
    page.select_option("#ll-canvas-add-name", TRANSFORM)
    page.click("#ll-canvas-add")
    _previewed(page, f'"{TRANSFORMED[0]}": "{TRANSFORMED[1]}"')
    # 4. Check & publish (a first version: nothing to compare with).
    page.click("#ll-canvas-publish")
    page.click('input[type=submit][value^="Publish version"]')
    page.wait_for_selector(f"text=Published {NEW_SET} version 1")
    # 5. Setup → Flows → Add flow, with the published set; enabled.
    page.click("nav >> text=Flows")
    page.click('a[title="Add flow"]')
    page.fill("#id_name", NEW_FLOW)
    page.select_option("#id_kind", label=KIND)  # the form's label of the generic kind
    page.select_option("#id_source_connection", str(sim.fb_connection.pk))
    page.fill("#id_source_object", SOURCE[1])
    page.select_option("#id_target_connection", str(sim.sf_connection.pk))
    page.fill("#id_target_object", TARGET[1])
    page.select_option("#id_trigger", "poll")  # webhooks need an https address, which a test server has not
    page.select_option("#id_mapping_set", label=f"{NEW_SET} v1 ({' '.join(SOURCE)} → {' '.join(TARGET)})")
    assert page.is_checked("#id_enabled")
    _shot(page, "flow-add")
    page.click("button[name=_save], input[name=_save]")
    page.wait_for_load_state()
    _shot(page, "flow-saved")
    assert "was added successfully" in page.inner_text("body"), page.locator(".errorlist, .errornote, .errors").all_inner_texts()
    assert problems == []

    record = fb_invoice(sim, canvas_world["client"], amount="75.00")
    item = sim.run(NEW_FLOW, SOURCE_OBJECT, record)
    assert item.status == SyncItem.Status.SUCCEEDED and item.result["action"] == "created", item.last_error
    number = next(i["invoice_number"] for i in sim.fb_objects(SOURCE_OBJECT) if i["id"] == record)
    created = sim.sf_record(item.target_external_id)
    assert (created["Name"], created[TRANSFORMED[0]]) == (number, TRANSFORMED[1])

"""Typed flow settings: each kind declares them; the admin form, import_config and the engine refuse
an unknown kind, an unknown key or a wrongly typed value with a sentence naming it."""
from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from integrations.demo.flows import DEFAULT_FLOWS
from integrations.flows.registry import flow_config_errors, flow_handler_for
from integrations.models import Flow, SyncItem
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue
from mappings.models import ConfigImport
from tests.factories import ConnectionFactory, FlowFactory
from tests.integrations.handlers import target_writes

pytestmark = pytest.mark.django_db
OPP = "salesforce-opportunity-to-freshbooks-invoice"
PAYMENT_INFOR = "freshbooks-payment-to-infor-payment"


# -- the validator ------------------------------------------------------------------------------
def test_an_unknown_key_is_named_with_the_known_ones():
    errors = flow_config_errors(kind=OPP, settings={"invoice_statuss": "sent"})
    assert len(errors) == 1
    assert errors[0].startswith(f"Unknown setting 'invoice_statuss' for flow kind '{OPP}'. Known: ")
    assert "invoice_status," in errors[0] and "on_won_again" in errors[0]


def test_a_wrongly_typed_value_is_named():
    assert flow_config_errors(kind=PAYMENT_INFOR, settings={"wait_for_invoice_seconds": "soon"}) == [
        "Flow setting wait_for_invoice_seconds is 'soon'; it must be a whole number."]
    assert flow_config_errors(kind=OPP, settings={"invoice_status": "final"}) == [
        "Flow setting invoice_status is 'final'; it must be one of: draft, sent."]
    assert flow_config_errors(kind=OPP, settings={"reconcile": {"amount_tolerance": "a cent"}}) == [
        "Flow setting reconcile.amount_tolerance is 'a cent'; it must be a number."]
    assert flow_config_errors(kind="shop-order-to-infor-order", settings={"mapping_sets": {"teleport": "x"}})[0].startswith(
        "Unknown key 'teleport' in flow setting mapping_sets for flow kind 'shop-order-to-infor-order'. Known: freshbooks_client")
    assert flow_config_errors(kind="freshbooks-expense-to-infor-journal", settings={"amount_includes_tax": "yes"}) == [
        "Flow setting amount_includes_tax is 'yes'; it must be true or false."]


def test_an_unknown_kind_is_named():
    errors = flow_config_errors(kind="teleport", settings={})
    assert errors and errors[0].startswith("No flow handler is registered for kind 'teleport'. Known kinds: ")


def test_valid_settings_pass():
    assert flow_config_errors(kind=OPP, settings={
        "invoice_status": "sent", "on_won_again": "alert", "idempotency_field": "po_number",
        "idempotency_lookup": "search", "on_opportunity_deleted": "archive_draft",
        "reconcile": {"amount_tolerance": "0.05", "status_map": {"Paid": "paid", "Closed Won": ["draft", "sent"]}},
    }) == []
    assert flow_config_errors(kind=PAYMENT_INFOR, settings={"wait_for_invoice_seconds": 60, "infor_connection": "M3"}) == []


def test_the_demo_flows_settings_are_valid():
    # flows 1–8, every direction, flow 1's Contact relay, and the two generic (record_sync) demo flows
    assert len(DEFAULT_FLOWS) == 15
    for row in DEFAULT_FLOWS:
        assert flow_config_errors(kind=row.kind, settings=row.settings) == [], row.name


def test_a_handler_reads_the_declared_default_when_the_key_is_absent():
    flow = FlowFactory(kind=PAYMENT_INFOR, settings={"payment_batch_base": "5000"})
    handler = flow_handler_for(flow)
    assert handler.setting("wait_for_invoice_seconds") == 900
    assert handler.setting("payment_batch_base") == 5000  # typed: text holding a whole number reads as one
    expense = flow_handler_for(FlowFactory(kind="freshbooks-expense-to-infor-journal", settings={"offset_account": 2100}))
    assert expense.setting("offset_account") == "2100" and expense.setting("tax_account") == "2640"
    assert expense.setting("amount_includes_tax") is True
    with pytest.raises(LookupError, match="Setting 'nope' is read but not declared"):
        expense.setting("nope")


# -- the admin Flow form ------------------------------------------------------------------------
@pytest.fixture
def flow_post(admin_client):
    source, target = ConnectionFactory(system="freshbooks"), ConnectionFactory(system="infor")

    def post(**changes):
        data = {"name": "payments-to-m3", "title": "", "kind": PAYMENT_INFOR, "source_connection": source.pk,
                "source_object": "payment", "target_connection": target.pk, "target_object": "payment",
                "trigger": "webhook", "poll_interval_minutes": 0, "conflict_policy": "field_owner",
                "max_attempts": "", **changes}  # not enabled: these fake connections fail their checks
        return admin_client.post(reverse("admin:integrations_flow_add"), data)

    return post


def test_admin_form_offers_the_registered_kinds(admin_client):
    body = admin_client.get(reverse("admin:integrations_flow_add")).content.decode()
    assert '<select name="kind"' in body and f'<option value="{OPP}">' in body


def test_admin_form_refuses_an_unknown_kind(flow_post):
    response = flow_post(kind="teleport")
    assert response.status_code == 200 and not Flow.objects.exists()
    assert "Unknown flow kind &#x27;teleport&#x27;" in response.content.decode()


def test_admin_form_shows_the_kinds_typed_settings_as_fields_not_a_json_box(admin_client):
    body = admin_client.get(reverse("admin:integrations_flow_add") + f"?kind={PAYMENT_INFOR}").content.decode()
    assert 'name="settings"' not in body
    assert 'name="setting__wait_for_invoice_seconds"' in body and 'name="setting__reconcile"' in body
    assert "Blank: the default (" in body


def test_admin_form_refuses_a_wrongly_typed_setting(flow_post):
    response = flow_post(setting__wait_for_invoice_seconds="soon")
    assert response.status_code == 200 and not Flow.objects.exists()
    assert ("Flow setting wait_for_invoice_seconds is &#x27;soon&#x27;; it must be a whole number."
            in response.content.decode())
    # the same sentence import_config gives for the same value
    assert flow_config_errors(kind=PAYMENT_INFOR, settings={"wait_for_invoice_seconds": "soon"}) == [
        "Flow setting wait_for_invoice_seconds is 'soon'; it must be a whole number."]


def test_admin_form_refuses_a_wrong_nested_value(flow_post):
    response = flow_post(setting__reconcile='{"amount_tolerence": 1}')
    assert response.status_code == 200 and not Flow.objects.exists()
    assert (f"Unknown setting &#x27;reconcile.amount_tolerence&#x27; for flow kind &#x27;{PAYMENT_INFOR}&#x27;"
            in response.content.decode())


def test_admin_form_saves_valid_settings(flow_post):
    response = flow_post(setting__wait_for_invoice_seconds="60", setting__reconcile='{"amount_tolerance": 1}')
    assert response.status_code == 302
    flow = Flow.objects.get(name="payments-to-m3")
    assert flow.settings == {"wait_for_invoice_seconds": 60, "reconcile": {"amount_tolerance": 1}}
    assert flow_handler_for(flow).setting("payment_batch_base") == 0  # what the flow left out: its declared default


# -- import_config ------------------------------------------------------------------------------
@pytest.fixture
def config_file(tmp_path):
    ConnectionFactory(name="fb", system="freshbooks")
    ConnectionFactory(name="m3", system="infor")

    def write(**changes) -> str:
        flow = {"name": "payments-to-m3", "title": "", "kind": PAYMENT_INFOR, "source_connection": "fb",
                "source_object": "payment", "target_connection": "m3", "target_object": "payment",
                "trigger": "webhook", "poll_interval_minutes": 0, "conflict_policy": "field_owner",
                "settings": {}, "max_attempts": None, "enabled": False, "mapping_set": None, **changes}
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"format": "ledgerlink-config", "format_version": 1, "flows": [flow]}))
        return str(path)

    return write


def import_config(path, *args) -> str:
    out = StringIO()
    call_command("import_config", path, *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("changes, sentence", [
    ({"kind": "teleport"}, "Flow 'payments-to-m3': No flow handler is registered for kind 'teleport'."),
    ({"settings": {"wait_for_invoice_secs": 60}},
     f"Flow 'payments-to-m3': Unknown setting 'wait_for_invoice_secs' for flow kind '{PAYMENT_INFOR}'. Known: "),
    ({"settings": {"wait_for_invoice_seconds": "soon"}},
     "Flow 'payments-to-m3': Flow setting wait_for_invoice_seconds is 'soon'; it must be a whole number."),
])
def test_import_config_refuses_the_whole_file(config_file, changes, sentence):
    path = config_file(**changes)
    for args in (("--dry-run",), ()):
        with pytest.raises(CommandError) as refused:
            import_config(path, *args)
        assert "Nothing was imported" in str(refused.value) and sentence in str(refused.value)
    assert not Flow.objects.exists() and not ConfigImport.objects.exists()


def test_import_config_accepts_valid_settings(config_file):
    path = config_file(settings={"wait_for_invoice_seconds": 60, "reconcile": {"amount_tolerance": "0.02"}})
    assert "+ flow payments-to-m3" in import_config(path, "--dry-run")
    import_config(path)
    flow = Flow.objects.get(name="payments-to-m3")
    assert flow.settings["wait_for_invoice_seconds"] == 60
    assert flow_handler_for(flow).setting("payment_batch_base") == 0  # what the file left out: its declared default
    assert flow_handler_for(flow).setting("reconcile") == {"amount_tolerance": "0.02"}
    assert Decimal(flow.settings["reconcile"]["amount_tolerance"]) == Decimal("0.02")


# -- the engine ---------------------------------------------------------------------------------
def test_the_engine_dead_letters_an_item_of_a_flow_with_invalid_settings():
    flow = FlowFactory(settings={"records": {"001A": {"Name": "Acme"}}})
    item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    # settings saved around the form (an old row, a script): the engine still checks them
    Flow.objects.filter(pk=flow.pk).update(settings={"records": {"001A": {"Name": "Acme"}}, "fial": []})
    SyncItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert sync_item_process(item_id=item.pk) == SyncItem.Status.DEAD
    item.refresh_from_db()
    assert item.last_error.startswith("Unknown setting 'fial' for flow kind 'recording'. Known: barrier, fail, ")
    assert item.last_error.endswith("Fix the cause, then replay.") and item.last_error_field == "fial"
    assert target_writes("create") == 0

"""Reconciliation finds planted drift of every kind, and nothing on a clean dataset."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from integrations.models import SyncItem
from integrations.operations.reconcile import reconcile_all, reconcile_findings_record, reconcile_flow
from monitoring.models import Finding
from tests.factories import BindingFactory, ConnectionFactory, EntityFactory, FlowFactory

pytestmark = pytest.mark.django_db

# The "remote systems" of these tests: (system, object type, id) → record; absent = deleted.
REMOTE: dict[tuple, dict] = {}


def read_record(connection, object_type, external_id):
    if external_id == "boom":
        raise TimeoutError("Salesforce did not answer in 30 s")
    return REMOTE.get((connection.system, object_type, external_id))


@pytest.fixture(autouse=True)
def readers(settings):
    settings.LEDGERLINK_RECORD_READERS = {"salesforce": read_record, "freshbooks": "tests.integrations.test_reconcile.read_record"}
    REMOTE.clear()
    yield
    REMOTE.clear()


@pytest.fixture
def flow():
    sf = ConnectionFactory(name="SF", system="salesforce")
    fb = ConnectionFactory(name="FB", system="freshbooks")
    return FlowFactory(name="opp-invoice", source_connection=sf, target_connection=fb, source_object="Opportunity",
                       target_object="invoice", settings={"reconcile": {"status_map": {"Paid": "paid", "Closed Won": ["draft", "sent", "paid"]}}})


def pair(flow, opp_id, source, target, inv_id=None):
    entity = EntityFactory(kind="deal")
    src = BindingFactory(connection=flow.source_connection, object_type="Opportunity", external_id=opp_id, entity=entity)
    dst = BindingFactory(connection=flow.target_connection, object_type="invoice", external_id=inv_id or f"inv-{opp_id}", entity=entity)
    if source is not None:
        REMOTE[("salesforce", "Opportunity", opp_id)] = source
    if target is not None:
        REMOTE[("freshbooks", "invoice", dst.external_id)] = target
    return src, dst


def clean_pairs(flow, n=3):
    for i in range(n):
        pair(flow, f"ok{i}", {"amount": "100.00", "currency": "USD", "status": "Closed Won"},
             {"amount": 100, "currency": "usd", "status": "sent"})


def test_clean_dataset_has_no_drift(flow):
    clean_pairs(flow)
    report = reconcile_flow(flow=flow)
    assert (report.checked, report.drifts, report.note) == (3, [], "")
    assert reconcile_findings_record(report=report) == {"new": 0, "seen_again": 0, "cleared": 0}
    assert not Finding.objects.exists()


def test_every_kind_of_planted_drift_is_found(flow):
    clean_pairs(flow)
    base = {"amount": "100.00", "currency": "USD", "status": "Closed Won"}
    pair(flow, "gone-src", None, {"amount": "100.00"})
    pair(flow, "gone-dst", base, None)
    pair(flow, "amount", base, {"amount": "90.00", "currency": "USD", "status": "sent"})
    pair(flow, "currency", base, {"amount": "100.00", "currency": "EUR", "status": "sent"})
    pair(flow, "status", {**base, "status": "Paid"}, {"amount": "100.00", "currency": "USD", "status": "sent"})
    pair(flow, "boom", base, base)
    report = reconcile_flow(flow=flow)
    found = sorted((d.kind, d.source_binding.external_id) for d in report.drifts)
    assert found == [("amount_differs", "amount"), ("currency_differs", "currency"), ("missing_source", "gone-src"),
                     ("missing_target", "gone-dst"), ("status_lagging", "status"), ("unreadable", "boom")]
    assert report.checked == 9
    amount = next(d for d in report.drifts if d.kind == "amount_differs")
    assert amount.message == "source total 100.00, target total 90.00 (difference -10.00)"

    assert reconcile_findings_record(report=report)["new"] == 6
    finding = Finding.objects.get(details__drift="status_lagging")
    assert "should be 'paid' but is 'sent'" in finding.details["message"]
    assert {r["label"] for r in finding.records} == {"Source", "Target"}

    # Fixed in the target system: the next run clears that finding and keeps the rest.
    REMOTE[("freshbooks", "invoice", "inv-amount")]["amount"] = "100.00"
    reconcile_findings_record(report=reconcile_flow(flow=flow))
    assert Finding.objects.get(details__drift="amount_differs").status == "cleared"
    assert Finding.objects.filter(check_name="reconcile", status="open").count() == 5


def test_no_reader_is_a_note_not_drift(flow, settings, monkeypatch):
    settings.LEDGERLINK_RECORD_READERS = {}
    monkeypatch.setattr("integrations.operations.reconcile.CONNECTORS", {})  # the built-in readers are the connectors'
    clean_pairs(flow, 1)
    report = reconcile_flow(flow=flow)
    assert report.note == "No record reader is registered for salesforce, so its records cannot be reconciled."
    assert reconcile_all()["opp-invoice"]["note"] == report.note


def test_command_lists_drift_and_rejects_bad_input(flow, capsys):
    clean_pairs(flow, 2)
    pair(flow, "amount", {"amount": "5"}, {"amount": "7"})
    call_command("reconcile", "--flow", "opp-invoice", "--since", "7d")
    out = capsys.readouterr().out
    assert "totals differ" in out and "3 linked pair(s) compared, 1 difference(s); findings: 1 new" in out
    with pytest.raises(CommandError, match="No flow named 'nope'. Flows: opp-invoice."):
        call_command("reconcile", "--flow", "nope")
    with pytest.raises(CommandError, match="neither a duration"):
        call_command("reconcile", "--flow", "opp-invoice", "--since", "yesterday")


def test_admin_page_runs_and_resyncs_one_row(flow, client, admin_user):
    pair(flow, "amount", {"amount": "5"}, {"amount": "7"})
    client.force_login(admin_user)
    response = client.post(f"/integrations/reconcile/{flow.pk}/run/", follow=True)
    html = response.content.decode()
    assert "1 linked pair(s) compared, 1 difference(s) found." in html and "totals differ" in html
    source_binding_id = Finding.objects.get().records[0]["binding_id"]
    assert f"/integrations/bindings/{source_binding_id}/resync/" in html
    client.post(f"/integrations/bindings/{source_binding_id}/resync/", {"next": "/integrations/reconcile/"})
    item = SyncItem.objects.get()
    assert (item.flow, item.source_object, item.source_id, item.hint["reason"]) == (flow, "Opportunity", "amount", "resync")


def test_resync_needs_the_permission(flow, client, django_user_model):
    src, _ = pair(flow, "x", {"amount": "1"}, {"amount": "1"})
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    assert client.post(f"/integrations/bindings/{src.pk}/resync/").status_code == 403
    assert not SyncItem.objects.exists()

"""Each anomaly check with a case it must find and one it must not."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from integrations.models import SyncItem
from monitoring.anomalies import facts as facts_module
from monitoring.anomalies.baseline import robust_z
from monitoring.anomalies.runner import anomalies_run
from monitoring.findings import finding_decide
from monitoring.models import Finding, FlowHourStat
from tests.factories import BindingFactory, ConnectionFactory, EntityFactory, FlowFactory

from .seed import NOW, item

pytestmark = pytest.mark.django_db


def synced(flow, facts, **extra):
    return item(flow, status="succeeded", created=NOW - timedelta(hours=1), finished=NOW - timedelta(minutes=30),
                latency_s=5, result={"external_id": "1", "action": "created", "facts": facts},
                source_object=flow.source_object, **extra)


def titles(check):
    return sorted(Finding.objects.filter(check_name=check, status="open").values_list("title", flat=True))


@pytest.fixture
def flow():
    return FlowFactory(title="Opp → invoice", source_object="Opportunity", target_object="invoice")


def test_amount_mismatch(flow):
    bad = synced(flow, {"source_amount": "1200.00", "target_amount": "1150.00"})
    synced(flow, {"source_amount": "99.99", "target_amount": "100.00"})  # within the 0.01 tolerance
    anomalies_run(now=NOW)
    assert titles("amount_mismatch") == [f"Opp → invoice: Opportunity {bad.source_id} is 1200.00 but the invoice is 1150.00"]
    finding = Finding.objects.get(check_name="amount_mismatch")
    assert finding.details["difference"] == "-50.00"
    assert {"label": "Sync item", "sync_item_id": bad.pk} in finding.records
    assert "tolerance" in finding.explanation.lower()


def test_currency_mismatch(flow):
    bad = synced(flow, {"source_currency": "USD", "target_currency": "EUR"})
    synced(flow, {"source_currency": "usd", "target_currency": "USD"})
    anomalies_run(now=NOW)
    assert titles("currency_mismatch") == [f"Opp → invoice: Opportunity {bad.source_id} is in USD but the invoice is in EUR"]


def test_fx_rate_far_from_reference(flow, settings):
    settings.ANOMALY_FX_REFERENCE = "tests.monitoring.test_anomalies.reference_rates"
    synced(flow, {"fx_rate": "1.30", "fx_from": "EUR", "fx_to": "USD", "fx_date": "2026-03-09"})
    synced(flow, {"fx_rate": "1.09", "fx_from": "EUR", "fx_to": "USD", "fx_date": "2026-03-09"})  # 0.9% off
    synced(flow, {"fx_rate": "9.99", "fx_from": "EUR", "fx_to": "JPY", "fx_date": "2026-03-09"})  # no reference: not judged
    anomalies_run(now=NOW)
    assert len(titles("fx_rate_off")) == 1
    assert Finding.objects.get(check_name="fx_rate_off").details["percent_off"] == "20.37"


def reference_rates(from_currency, to_currency, on_date):
    return Decimal("1.08") if (from_currency, to_currency) == ("EUR", "USD") and on_date.day == 9 else None


def test_gl_unbalanced_and_overpayment(flow):
    synced(flow, {"gl_lines": [{"debit": "100.00", "credit": "0"}, {"debit": "0", "credit": "90.00"}]})
    synced(flow, {"gl_lines": [{"debit": "100.00"}, {"credit": "60.00"}, {"credit": "40.00"}]})
    synced(flow, {"payment_amount": "500.00", "open_amount": "450.00"})
    synced(flow, {"payment_amount": "450.00", "open_amount": "450.00"})
    anomalies_run(now=NOW)
    assert len(titles("gl_unbalanced")) == 1 and "debit 100.00, credit 90.00" in titles("gl_unbalanced")[0]
    assert len(titles("overpayment")) == 1 and "of 500.00 is larger than the open amount 450.00" in titles("overpayment")[0]


def test_facts_from_registered_paths(flow, settings):
    settings.LEDGERLINK_BUSINESS_FACTS = {"recording": {
        "source_amount": "source_snapshot.Amount", "target_amount": "mapped_payload.invoice.lines.0.amount"}}
    item(flow, status="succeeded", created=NOW - timedelta(hours=1), finished=NOW - timedelta(minutes=30), latency_s=1,
         source_snapshot={"Amount": 10}, mapped_payload={"invoice": {"lines": [{"amount": "12"}]}})
    anomalies_run(now=NOW)
    assert len(titles("amount_mismatch")) == 1
    assert facts_module.value_at(SyncItem(source_snapshot={"a": [1]}), "source_snapshot.a.3") is None


def test_finding_clears_when_fixed_and_keeps_finance_decision(flow):
    bad = synced(flow, {"source_amount": "10", "target_amount": "12"})
    anomalies_run(now=NOW)
    finding = Finding.objects.get(check_name="amount_mismatch")
    SyncItem.objects.filter(pk=bad.pk).update(result={"facts": {"source_amount": "12", "target_amount": "12"}})
    anomalies_run(now=NOW + timedelta(minutes=1))
    finding.refresh_from_db()
    assert finding.status == "cleared"
    SyncItem.objects.filter(pk=bad.pk).update(result={"facts": {"source_amount": "10", "target_amount": "12"}})
    anomalies_run(now=NOW + timedelta(minutes=2))
    finding.refresh_from_db()
    assert finding.status == "open" and Finding.objects.count() == 1
    finding_decide(finding=finding, status="dismissed", user="anna")
    anomalies_run(now=NOW + timedelta(minutes=3))
    finding.refresh_from_db()
    assert (finding.status, finding.decided_by) == ("dismissed", "anna")


def test_duplicate_clients():
    fb = ConnectionFactory(name="FreshBooks", system="freshbooks")
    other = ConnectionFactory(name="Other FB", system="freshbooks")
    a = BindingFactory(connection=fb, object_type="client", extra={"email": " Jo@Acme.com"}, entity=EntityFactory())
    b = BindingFactory(connection=fb, object_type="client", last_written_payload={"email": "jo@acme.com"}, entity=EntityFactory())
    # Same organisation after normalising ("Acme, Inc." vs "ACME"), different emails.
    c = BindingFactory(connection=fb, object_type="client", last_written_payload={"organization": "Globex, Inc.", "email": "x@globex.com"})
    d = BindingFactory(connection=fb, object_type="client", last_written_payload={"organization": "GLOBEX", "email": "y@globex.com"})
    # Not duplicates: same email in another connection; same entity twice is one client.
    BindingFactory(connection=other, object_type="client", extra={"email": "jo@acme.com"})
    BindingFactory(connection=fb, object_type="client", extra={"email": "solo@example.com"})
    anomalies_run(now=NOW)
    found = {f.details["match"]: f for f in Finding.objects.filter(check_name="duplicate_clients")}
    assert set(found) == {"email", "organisation"}
    assert {r["binding_id"] for r in found["email"].records} == {a.pk, b.pk}
    assert {r["binding_id"] for r in found["organisation"].records} == {c.pk, d.pk}


def test_duplicate_infor_customers_sharing_an_email():
    # M3 customers are bound as "customer" with CRS610MI fields: the e-mail is MAIL (as the
    # mapping sets and the simulator write it), the name CUNM.
    m3 = ConnectionFactory(name="Infor M3", system="infor")
    a = BindingFactory(connection=m3, object_type="customer", entity=EntityFactory(),
                       last_written_payload={"CUNM": "Harbor Tools", "MAIL": "AP@harbor.example"})
    b = BindingFactory(connection=m3, object_type="customer", entity=EntityFactory(),
                       last_written_payload={"CUNM": "Harbour Tooling", "MAIL": "ap@harbor.example "})
    BindingFactory(connection=m3, object_type="customer", last_written_payload={"CUNM": "Quay", "MAIL": "q@quay.example"})
    anomalies_run(now=NOW)
    found = Finding.objects.get(check_name="duplicate_clients", details__match="email")
    assert found.details["value"] == "ap@harbor.example"
    assert {r["binding_id"] for r in found.records} == {a.pk, b.pk}


def test_duplicate_clients_are_judged_by_the_rule_the_flows_match_with():
    # The flows would link "Café Zürich GmbH" and "Cafe Zurich" to one client (mappings/normalise.py):
    # the duplicate check calls them the same client too (accents and legal forms aside).
    from mappings.normalise import org_name_normalise

    fb = ConnectionFactory(name="FreshBooks", system="freshbooks")
    a = BindingFactory(connection=fb, object_type="client", entity=EntityFactory(),
                       last_written_payload={"organization": "Café Zürich GmbH", "email": "a@cafe.example"})
    b = BindingFactory(connection=fb, object_type="client", entity=EntityFactory(),
                       last_written_payload={"organization": "Cafe Zurich", "email": "b@cafe.example"})
    assert org_name_normalise("Café Zürich GmbH") == org_name_normalise("Cafe Zurich")
    anomalies_run(now=NOW)
    found = Finding.objects.get(check_name="duplicate_clients", details__match="organisation")
    assert {r["binding_id"] for r in found.records} == {a.pk, b.pk}


def _hour_rows(flow, hour, days, received, dead=0, succeeded=None):
    for d in range(1, days + 1):
        FlowHourStat.objects.create(flow=flow, hour=hour - timedelta(days=d), received=received[d % len(received)],
                                    succeeded=succeeded if succeeded is not None else received[d % len(received)], dead=dead)


def test_volume_far_outside_baseline(flow):
    hour = NOW.replace(minute=0) - timedelta(hours=1)  # the last whole hour: 09:00
    _hour_rows(flow, hour, 28, [18, 20, 22, 19, 21])
    for _ in range(80):  # 80 items in that hour, when 18–22 is normal
        item(flow, status="succeeded", created=hour + timedelta(minutes=5), finished=hour + timedelta(minutes=6), latency_s=1)
    calm = FlowFactory(title="calm")
    _hour_rows(calm, hour, 28, [18, 20, 22, 19, 21])
    for _ in range(21):
        item(calm, status="succeeded", created=hour + timedelta(minutes=5), finished=hour + timedelta(minutes=6), latency_s=1)
    young = FlowFactory(title="young")  # three days of history is not a baseline
    _hour_rows(young, hour, 3, [1])
    for _ in range(50):
        item(young, status="succeeded", created=hour + timedelta(minutes=5), finished=hour + timedelta(minutes=6), latency_s=1)
    anomalies_run(now=NOW)
    found = titles("baseline")
    assert len(found) == 1 and found[0].startswith("Opp → invoice: volume 80 items at 2026-03-10 09:00 UTC (usually 20.0 items")


def test_failure_rate_far_outside_baseline(flow):
    hour = NOW.replace(minute=0) - timedelta(hours=1)
    for d in range(1, 29):
        FlowHourStat.objects.create(flow=flow, hour=hour - timedelta(days=d), received=20, succeeded=20 - d % 2, dead=d % 2)
    for n in range(20):
        item(flow, status="dead" if n < 10 else "succeeded", created=hour + timedelta(minutes=5),
             finished=hour + timedelta(minutes=6), latency_s=1)
    anomalies_run(now=NOW)
    assert [t.split(" at ")[0] for t in titles("baseline")] == ["Opp → invoice: failure rate 50.0%"]


def test_robust_z():
    assert robust_z(20, [20] * 10) == 0
    assert robust_z(21, [20] * 10) == float("inf")
    assert round(robust_z(30, [18, 19, 20, 21, 22]), 2) == 6.75

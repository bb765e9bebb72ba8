"""Issue 20: money in the simulators is Decimal with each vendor's rounding (a setting where the
reference is unsure), and flow 2's invoice total equals the Opportunity Amount to the cent or a
finding says why it cannot."""
from __future__ import annotations

import pytest

from integrations.sandbox.salesforce import services as sim
from monitoring.models import Finding

pytestmark = pytest.mark.django_db(transaction=True)
FLOW = "sf-opportunity-to-fb-invoice"


def test_a_half_cent_line_rounds_as_decimal_and_the_invoice_total_equals_the_amount(world):
    opp = world.won_opportunity(lines=(("Support hour", "SUP-H", 99.99, 2.5), ("Implementation", "IMPL-P", 5100.50, 1)))
    lines = sorted((r["Quantity"], r["TotalPrice"]) for r in world.sf_records("OpportunityLineItem"))
    assert lines == [(1, 5100.5), (2.5, 249.98)]  # 2.5 × 99.99 = 249.975, not float's 249.97499…
    assert world.sf_record(opp)["Amount"] == 5350.48
    item = world.run(FLOW, "Opportunity", opp)
    assert item.status == "succeeded", item.last_error
    [invoice] = world.fb_objects("invoice")
    assert invoice["amount"]["amount"] == "5350.48"
    assert not Finding.objects.filter(check_name="invoice_total_differs").exists()


def test_the_salesforce_rounding_rule_is_a_setting(world):
    sim.org_configure(currency_rounding="ROUND_HALF_EVEN")
    opp = world.won_opportunity(lines=(("Widget", "WID", 10.05, 2.5),))  # 25.125
    assert world.sf_record(opp)["Amount"] == 25.12


def test_totals_that_cannot_agree_are_a_finding_that_says_why(world):
    account = world.fb_sandbox.account
    account.options = {**account.options, "money_rounding": "ROUND_HALF_EVEN"}  # FreshBooks' rule: unconfirmed
    account.save(update_fields=["options"])
    opp = world.won_opportunity(lines=(("Widget", "WID", 10.05, 2.5),))
    assert world.sf_record(opp)["Amount"] == 25.13  # Salesforce: half up
    item = world.run(FLOW, "Opportunity", opp)
    assert item.status == "succeeded", item.last_error
    [invoice] = world.fb_objects("invoice")
    assert invoice["amount"]["amount"] == "25.12"
    finding = Finding.objects.get(check_name="invoice_total_differs")
    assert finding.status == "open" and finding.details["invoice_total"] == "25.12" and finding.details["amount"] == "25.13"
    assert "2.5 × 10.05 = 25.125" in finding.explanation and "rounded by Salesforce and FreshBooks" in finding.explanation

"""A fresh Salesforce org (no Ledgerlink custom fields): the Closed Won flow cannot write its
references back until Prepare Salesforce has created the fields and granted access; after it,
the same flow produces one invoice and writes the ids back. Over HTTP against both simulators."""
from __future__ import annotations

import pytest

from integrations.connectors.salesforce.prepare import salesforce_prepare
from integrations.models import SyncItem
from integrations.sandbox.salesforce import services as sim

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status


def test_closed_won_needs_prepare_in_a_fresh_org(world):
    sim.org_configure(custom_fields_installed=False)
    opp = world.won_opportunity()
    before = world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp)
    assert before.status != S.SUCCEEDED and "FreshBooks_" in before.last_error, before.last_error

    plan = salesforce_prepare(world.sf_connection, dry_run=False)
    assert not plan.errors and plan.assigned

    opp = world.won_opportunity(account="Initech", email="bob@initech.test")
    item = world.run("sf-opportunity-to-fb-invoice", "Opportunity", opp)
    assert item.status == S.SUCCEEDED, item.last_error
    invoice = world.fb_objects("invoice", po_number=opp)
    assert len(invoice) == 1
    assert world.sf_record(opp)["FreshBooks_Invoice_Id__c"] == str(invoice[0]["id"])

"""Migration 0006 renames the flow kinds to one scheme, and back."""
import importlib

import pytest
from django.apps import apps

from integrations.flows.registry import FLOW_KINDS
from tests.factories import ConnectionFactory, FlowFactory

pytestmark = pytest.mark.django_db
migration = importlib.import_module("integrations.migrations.0006_flow_kind_names")

OLD_TO_NEW = {  # (old kind, source system) → new kind
    ("order_to_cash", "shopify"): "shop-order-to-infor-order",
    ("shipment_invoice", "infor"): "infor-order-to-freshbooks-invoice",
    ("payment_infor", "freshbooks"): "freshbooks-payment-to-infor-payment",
    ("expense_gl", "freshbooks"): "freshbooks-expense-to-infor-journal",
    ("client_infor", "freshbooks"): "freshbooks-client-to-infor-customer",
    ("client_infor", "infor"): "infor-customer-to-freshbooks-client",
    ("salesforce-account-to-freshbooks-client", "salesforce"): "salesforce-account-to-freshbooks-client",
}


def test_existing_flows_get_the_new_kinds_each_registered_and_the_old_ones_back_when_reversed():
    flows = {key: FlowFactory(kind=key[0], source_connection=ConnectionFactory(system=key[1]))
             for key in OLD_TO_NEW}
    migration.kinds_rename(apps, None)
    for key, flow in flows.items():
        flow.refresh_from_db()
        assert flow.kind == OLD_TO_NEW[key] and flow.kind in FLOW_KINDS, key

    migration.kinds_restore(apps, None)
    for (old, _), flow in flows.items():
        flow.refresh_from_db()
        assert flow.kind == old

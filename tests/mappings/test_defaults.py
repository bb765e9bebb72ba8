"""The shipped default configuration: valid, idempotent, and it maps sandbox-shaped records."""
from __future__ import annotations

import json

import pytest

from mappings.engine import apply
from mappings.models import ConfigImport, MappingSet, ValueTable
from mappings.promotion import config_loads
from mappings.promotion_io import config_check
from mappings.schemas import schema_for
from mappings.setup import DEFAULTS_FILE, default_config_load

pytestmark = pytest.mark.django_db

FLOW_SETS = [  # PRODUCT.md flows → the stable names flows look up
    "salesforce-account-to-freshbooks-client", "freshbooks-client-to-salesforce-account",
    "freshbooks-client-to-salesforce-contact", "salesforce-opportunity-to-freshbooks-invoice",
    "freshbooks-invoice-to-salesforce-opportunity", "shopify-order-to-freshbooks-client",
    "shopify-order-to-freshbooks-invoice", "woocommerce-order-to-freshbooks-client",
    "woocommerce-order-to-freshbooks-invoice", "freshbooks-client-to-infor-customer",
    "freshbooks-invoice-to-infor-sales-order", "infor-order-to-freshbooks-invoice-status",
    "freshbooks-payment-to-infor-payment", "freshbooks-expense-to-infor-gl-journal", "infor-customer-to-freshbooks-client",
    # the generic (record_sync) demo flows' sets
    "freshbooks-invoice-to-salesforce-freshbooks-invoice", "salesforce-order-to-freshbooks-invoice",
]


@pytest.fixture
def loaded():
    lines = []
    default_config_load(lines.append)
    return lines


def test_defaults_are_valid_and_cover_every_flow():
    data = config_loads(DEFAULTS_FILE.read_text())
    assert config_check(data) == []
    assert sorted(s["name"] for s in data["mapping_sets"]) == sorted(FLOW_SETS)
    for s in data["mapping_sets"]:
        assert schema_for(s["source_system"], s["source_object"]), s["name"]
        assert schema_for(s["target_system"], s["target_object"]), s["name"]


def test_loading_is_idempotent_and_keeps_admin_edits(loaded):
    assert "loaded" in loaded[0]
    assert MappingSet.objects.filter(status="published").count() == len(FLOW_SETS)
    table = ValueTable.objects.get(name="expense-category-to-gl-account")
    table.default_value = "6999"
    table.save()
    again = []
    default_config_load(again.append)
    assert again == ["Default mapping sets and value tables: already loaded."]
    assert ValueTable.objects.get(name="expense-category-to-gl-account").default_value == "6999"
    assert ConfigImport.objects.count() == 1


def test_opportunity_to_invoice_default(loaded):
    opportunity = {"Id": "006000000000001AAA", "Name": "Dinnerware", "CloseDate": "2024-01-10", "CurrencyIsoCode": "cad",
                   "OpportunityLineItems": {"totalSize": 1, "done": True, "records": [
                       {"Name": "Bowls", "Quantity": 4.0, "UnitPrice": 5, "Description": "Melmac"}]}}
    payload, errors = apply("salesforce-opportunity-to-freshbooks-invoice", opportunity)
    assert errors == []
    assert payload["lines"] == [{"name": "Bowls", "description": "Melmac", "qty": "4.0",
                                 "unit_cost": {"amount": "5.00", "code": "CAD"}}]
    assert payload["create_date"] == "2024-01-10" and payload["currency_code"] == "CAD"


def test_expense_to_balanced_gl_journal_default(loaded):
    expense = {"id": 23456, "vendor": "Serano Bakery", "notes": "For lunch", "date": "2021-07-19",
               "category_name": "meals and entertainment", "amount": {"amount": "54.00", "code": "CAD"}}
    payload, errors = apply("freshbooks-expense-to-infor-gl-journal", expense)
    assert errors == []
    debit, credit = payload["lines"]
    assert (debit["AIT1"], debit["DBCR"], debit["ACAM"], debit["ACDT"]) == ("6410", "D", "54.00", "20210719")
    assert (credit["AIT1"], credit["DBCR"], credit["ACAM"]) == ("2000", "C", "-54.00")
    assert payload["DESC"] == "FreshBooks expense 23456 Serano Bakery"


def test_delivered_order_marks_invoice_sent_default(loaded):
    assert apply("infor-order-to-freshbooks-invoice-status", {"ORSL": "66", "ORST": "66"}) == ({"action_mark_as_sent": True}, [])
    assert apply("infor-order-to-freshbooks-invoice-status", {"ORSL": "33", "ORST": "44"}) == ({}, [])


def test_client_to_infor_customer_default(loaded):
    client = {"organization": "American Cyanamid Corporation of North America", "p_street": "123 Huron St",
              "p_city": "Toronto", "p_country": "Canada", "email": "g@x.com", "company_size": "51-200", "currency_code": "cad"}
    payload, errors = apply("freshbooks-client-to-infor-customer", client)
    assert errors == []
    assert payload["CUNM"] == "American Cyanamid Corporation of Nor" and len(payload["CUNM"]) == 36
    assert (payload["CSCD"], payload["CUCL"], payload["CUCD"], payload["STAT"]) == ("CA", "MID", "CAD", "20")


def test_payment_status_default_reports_unknown_status(loaded):
    payload, errors = apply("freshbooks-invoice-to-salesforce-opportunity",
                            {"payment_status": "partial", "paid": {"amount": "20.00", "code": "CAD"}, "date_paid": None})
    assert payload == {"Payment_Status__c": "Partial", "Amount_Paid__c": 20}
    _, errors = apply("freshbooks-invoice-to-salesforce-opportunity", {"payment_status": "weird"})
    assert "status 'weird' is not known" in json.dumps([e.message for e in errors])

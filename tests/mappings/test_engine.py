"""The engine: nested paths, child lists, conditions, defaults, required fields, all errors at once."""
from __future__ import annotations

import json

import pytest

from mappings.context import StaticContext, TableData
from mappings.engine import apply, mapping_apply_or_raise
from mappings.errors import MappingError
from mappings.selectors import mapping_set_published
from tests.mappings.builders import mapping_set_make

pytestmark = pytest.mark.django_db

OPPORTUNITY = {
    "Id": "006000000000001AAA", "Name": "Dinnerware", "StageName": "Closed Won", "CloseDate": "2024-01-10",
    "CurrencyIsoCode": "CAD",
    "Account": {"Name": "American Cyanamid", "BillingCity": "Toronto"},
    "OpportunityLineItems": {"totalSize": 2, "done": True, "records": [
        {"Name": "Bowls", "Quantity": 4, "UnitPrice": 5, "Description": "Melmac"},
        {"Name": "Plates", "Quantity": "2", "UnitPrice": "7.5"},
    ]},
}

INVOICE_FIELDS = [
    {"target_field": "organization", "source_path": "Account.Name", "required": True},
    {"target_field": "city", "source_path": "Account.BillingCity"},
    {"target_field": "create_date", "source_path": "CloseDate", "transforms": [{"name": "to_date"}]},
    {"target_field": "currency_code", "source_path": "CurrencyIsoCode", "default": "USD"},
    {"target_field": "lines", "source_path": "OpportunityLineItems", "item_label": "Invoice line", "children": [
        {"target_field": "name", "source_path": "Name", "required": True},
        {"target_field": "description", "source_path": "Description", "max_length": 4},
        {"target_field": "qty", "source_path": "Quantity", "label": "quantity", "transforms": [{"name": "to_decimal"}]},
        {"target_field": "unit_cost.amount", "source_path": "UnitPrice", "label": "unit price",
         "transforms": [{"name": "to_decimal"}, {"name": "round", "args": {"currency_field": "$root.CurrencyIsoCode"}}]},
        {"target_field": "unit_cost.code", "source_path": "$root.CurrencyIsoCode"},
    ]},
]


def test_nested_paths_and_child_lists():
    payload, errors = apply(mapping_set_make(INVOICE_FIELDS), OPPORTUNITY)
    assert errors == []
    assert payload == {
        "organization": "American Cyanamid", "city": "Toronto", "create_date": "2024-01-10", "currency_code": "CAD",
        "lines": [
            {"name": "Bowls", "description": "Melm", "qty": "4", "unit_cost": {"amount": "5.00", "code": "CAD"}},
            {"name": "Plates", "qty": "2", "unit_cost": {"amount": "7.50", "code": "CAD"}},
        ],
    }


def test_every_error_is_reported_at_once_in_readable_words():
    bad = json.loads(json.dumps(OPPORTUNITY))
    del bad["Account"]["Name"]
    bad["OpportunityLineItems"]["records"][1]["UnitPrice"] = "abc"
    bad["OpportunityLineItems"]["records"][0]["Quantity"] = "four"
    bad["OpportunityLineItems"]["records"][0]["Name"] = ""
    payload, errors = apply(mapping_set_make(INVOICE_FIELDS), bad)
    messages = [e.message for e in errors]
    assert messages == [
        "Organization is required but has no value (Account.Name is empty)",
        "Invoice line 1: name is required but has no value (Name is empty)",
        "Invoice line 1: quantity 'four' is not a number",
        "Invoice line 2: unit price 'abc' is not a number",
    ]
    assert [e.field for e in errors] == ["organization", "lines[0].name", "lines[0].qty", "lines[1].unit_cost.amount"]
    assert errors[3].value == "abc"
    with pytest.raises(MappingError) as raised:
        mapping_apply_or_raise(mapping_set_make(INVOICE_FIELDS, name="other"), bad)
    assert raised.value.reason.startswith("Organization is required") and "Invoice line 2: unit price 'abc'" in raised.value.reason


def test_defaults_required_and_blank_fields():
    ms = mapping_set_make([
        {"target_field": "notes", "source_path": "Missing.Path"},  # blank and optional: left out
        {"target_field": "terms", "source_path": "Missing", "default": "Net 30"},
        {"target_field": "po_number", "source_path": "Missing", "default": ""},  # explicit empty default is sent
        {"target_field": "status", "transforms": [{"name": "constant", "args": {"value": 1}}]},
    ])
    assert apply(ms, {}) == ({"terms": "Net 30", "po_number": "", "status": 1}, [])


def test_conditions_on_source_and_on_mapped_targets():
    ms = mapping_set_make([
        {"target_field": "action_mark_as_sent", "transforms": [{"name": "constant", "args": {"value": True}}],
         "condition": {"target": "status", "op": "eq", "value": "sent"}},
        {"target_field": "status", "source_path": "StageName",
         "transforms": [{"name": "map_status", "args": {"table": "stages"}}]},
        {"target_field": "notes", "source_path": "Name",
         "condition": {"all": [{"field": "Amount", "op": "gte", "value": 100}, {"not": {"field": "Name", "op": "is_blank"}}]}},
    ])
    ctx = StaticContext(tables={"stages": TableData("stages", {"Closed Won": "sent", "Negotiation": "draft"})})
    assert apply(ms, {"StageName": "Closed Won", "Amount": "250", "Name": "Deal"}, context=ctx) == (
        {"status": "sent", "action_mark_as_sent": True, "notes": "Deal"}, [])
    assert apply(ms, {"StageName": "Negotiation", "Amount": "99", "Name": "Deal"}, context=ctx) == ({"status": "draft"}, [])


def test_condition_cycles_are_an_error_not_a_hang():
    ms = mapping_set_make([
        {"target_field": "a", "source_path": "x", "condition": {"target": "b", "op": "not_blank"}},
        {"target_field": "b", "source_path": "x", "condition": {"target": "a", "op": "not_blank"}},
        {"target_field": "c", "source_path": "x"},
    ])
    payload, errors = apply(ms, {"x": "1"})
    assert payload == {"c": "1"}
    assert [e.field for e in errors] == ["a", "b"] and "cycle" in errors[0].message


def test_max_length_fail_and_truncate():
    ms = mapping_set_make([
        {"target_field": "CUNM", "source_path": "name", "max_length": 5, "on_too_long": "fail", "label": "customer name"},
        {"target_field": "CUA1", "source_path": "name", "max_length": 5},
    ])
    payload, errors = apply(ms, {"name": "American Cyanamid"})
    assert payload == {"CUA1": "Ameri"}
    assert errors[0].message == "Customer name 'American Cyanamid' is 17 characters long, more than the 5 allowed"


def test_list_shapes_and_required_lists():
    ms = mapping_set_make([{"target_field": "lines", "source_path": "items", "required": True, "item_label": "Line",
                            "children": [{"target_field": "qty", "source_path": "q"}]}])
    assert apply(ms, {"items": [{"q": 1}, "junk"]})[1][0].message == "Line 2: is not an object"
    assert "needs at least one item" in apply(ms, {"items": []})[1][0].message
    assert "expects a list at items" in apply(ms, {"items": "x"})[1][0].message


def test_misconfigured_mapping_is_a_readable_error():
    ms = mapping_set_make([{"target_field": "x", "source_path": "a", "transforms": [{"name": "eval"}]}])
    payload, errors = apply(ms, {"a": 1})
    assert payload == {} and "Unknown transform 'eval'" in errors[0].message


def test_deterministic():
    ms = mapping_set_make(INVOICE_FIELDS)
    outputs = {json.dumps(apply(ms, OPPORTUNITY)[0]) for _ in range(5)}
    assert len(outputs) == 1


def test_published_lookup_by_name():
    with pytest.raises(MappingError, match="no published mapping set named 'flows-x'"):
        mapping_set_published("flows-x")
    mapping_set_make([], name="flows-x", version=1, status="retired")
    current = mapping_set_make([{"target_field": "organization", "source_path": "Name"}], name="flows-x", version=2,
                               status="published")
    mapping_set_make([], name="flows-x", version=3, status="draft")
    assert mapping_set_published("flows-x") == current
    assert apply("flows-x", {"Name": "Acme"}) == ({"organization": "Acme"}, [])

"""FreshBooks record shapes for mappings (field names exactly the API's)."""
from __future__ import annotations

from mappings.schemas import schema_build as _schema
from mappings.schemas import schema_field as _f

MONEY = [_f("amount", "decimal", example="27.00"), _f("code", "code", 3, example="USD")]

FRESHBOOKS_CLIENT = _schema("freshbooks", "client", [
    _f("id", "id", example=12345), _f("organization", example="American Cyanamid"),
    _f("fname", example="Gordon"), _f("lname", example="Shumway"),
    _f("email", "email", example="gordon.shumway@americancyanamid.com"),
    _f("bus_phone", "phone", example="416-555-0100"), _f("mob_phone", "phone"), _f("home_phone", "phone"), _f("fax", "phone"),
    _f("p_street", example="123 Huron St"), _f("p_street2"), _f("p_city", example="Toronto"),
    _f("p_province", example="ON"), _f("p_code", example="M5T 2B3"), _f("p_country", example="Canada"),
    _f("s_street"), _f("s_street2"), _f("s_city"), _f("s_province"), _f("s_code"), _f("s_country"),
    _f("currency_code", "code", 3, example="CAD"), _f("language", "code", example="en"), _f("note"),
    _f("vat_name"), _f("vat_number"), _f("accounting_systemid", "id"), _f("updated", "datetime"),
    _f("signup_date", "datetime"), _f("vis_state", "int"),
])
FRESHBOOKS_INVOICE_LINE = [
    _f("name", required=True, example="Bowls"), _f("description", example="Melmac melamine resin dinnerware"),
    _f("qty", "decimal", example="4"), _f("unit_cost", "money", children=MONEY), _f("amount", "money", children=MONEY),
    _f("type", "int", example=0), _f("taxName1"), _f("taxAmount1", "decimal"), _f("taxName2"), _f("taxAmount2", "decimal"),
]
FRESHBOOKS_INVOICE = _schema("freshbooks", "invoice", [
    _f("id", "id"), _f("invoiceid", "id"), _f("invoice_number", example="0000001"),
    _f("customerid", "id", required=True, example=12345), _f("create_date", "date", required=True, example="2021-04-16"),
    _f("due_offset_days", "int", example=30), _f("due_date", "date"), _f("currency_code", "code", 3, example="USD"),
    _f("po_number"), _f("notes"), _f("terms"), _f("description"), _f("organization"), _f("fname"), _f("lname"),
    _f("street"), _f("street2"), _f("city"), _f("province"), _f("code"), _f("country"),
    _f("status", "int", example=2), _f("v3_status", "code", example="partial"), _f("payment_status", "code", example="partial"),
    _f("display_status", "code"), _f("amount", "money", children=MONEY), _f("paid", "money", children=MONEY),
    _f("outstanding", "money", children=MONEY), _f("date_paid", "date"), _f("discount_value", "decimal"),
    _f("action_mark_as_sent", "bool"), _f("lines", "list", children=FRESHBOOKS_INVOICE_LINE),
    _f("updated", "datetime"), _f("vis_state", "int"),
])
FRESHBOOKS_PAYMENT = _schema("freshbooks", "payment", [
    _f("id", "id"), _f("invoiceid", "id", required=True), _f("clientid", "id"), _f("amount", "money", children=MONEY),
    _f("date", "date", example="2021-04-16"), _f("type", "code", example="Check"), _f("gateway", "code"),
    _f("note"), _f("transactionid"), _f("updated", "datetime"), _f("vis_state", "int"),
])
FRESHBOOKS_EXPENSE = _schema("freshbooks", "expense", [
    _f("id", "id"), _f("expenseid", "id"), _f("amount", "money", children=MONEY), _f("categoryid", "id", example=654654),
    _f("category_name", example="Meals and Entertainment"), _f("date", "date", example="2021-07-19"), _f("staffid", "id"),
    _f("vendor", example="Serano Bakery"), _f("notes", example="For lunch"), _f("taxName1"),
    _f("taxAmount1", "money", children=MONEY), _f("clientid", "id"), _f("updated", "datetime"), _f("vis_state", "int"),
])
# Reference §3.6 and §3.7 (the SDK fixtures): items and taxes.
FRESHBOOKS_ITEM = _schema("freshbooks", "item", [
    _f("id", "id"), _f("itemid", "id"), _f("name", required=True, example="A Cheap Item"), _f("description"),
    _f("sku", example="SQ1234", external_id=True), _f("qty", "decimal", example="100"), _f("inventory", "decimal"),
    _f("unit_cost", "money", children=MONEY), _f("tax1", "id"), _f("tax2", "id"), _f("accounting_systemid", "id"),
    _f("updated", "datetime", createable=False, updateable=False), _f("vis_state", "int"),
])
FRESHBOOKS_TAX = _schema("freshbooks", "tax", [
    _f("id", "id"), _f("taxid", "id"), _f("name", required=True, example="HST"), _f("amount", "decimal", example="13"),
    _f("compound", "bool"), _f("number", example="RT 1234"), _f("accounting_systemid", "id"),
    _f("updated", "datetime", createable=False, updateable=False),
])

SCHEMAS = (FRESHBOOKS_CLIENT, FRESHBOOKS_INVOICE, FRESHBOOKS_PAYMENT, FRESHBOOKS_EXPENSE, FRESHBOOKS_ITEM, FRESHBOOKS_TAX)

"""Salesforce record shapes for mappings (open to custom fields ending in __c)."""
from __future__ import annotations

from mappings.schemas import schema_build as _schema
from mappings.schemas import schema_field as _f

SF_ACCOUNT_FIELDS = [
    _f("Id", "id", example="001000000000001AAA"), _f("Name", required=True, example="American Cyanamid"),
    _f("BillingStreet", example="123 Huron St"), _f("BillingCity", example="Toronto"), _f("BillingState", example="ON"),
    _f("BillingPostalCode", example="M5T 2B3"), _f("BillingCountry", example="Canada"), _f("Phone", "phone"),
    _f("Website"), _f("Type"), _f("CurrencyIsoCode", "code", 3), _f("Description"), _f("SystemModstamp", "datetime"),
]
SF_CONTACT_FIELDS = [
    _f("Id", "id"), _f("FirstName", max_length=40, example="Gordon"), _f("LastName", max_length=80, required=True, example="Shumway"),
    _f("Email", "email", example="gordon.shumway@americancyanamid.com"), _f("Phone", "phone"), _f("AccountId", "id"),
    _f("MailingStreet"), _f("MailingCity"), _f("MailingState"), _f("MailingPostalCode"), _f("MailingCountry"),
    _f("SystemModstamp", "datetime"),
]
SF_LINE_FIELDS = [
    _f("Id", "id"), _f("OpportunityId", "id"), _f("PricebookEntryId", "id"), _f("Product2Id", "id"),
    _f("Name", max_length=376, example="GenWatt Diesel 200kW"), _f("ProductCode"), _f("Description", max_length=255),
    _f("Quantity", "decimal", example=2), _f("UnitPrice", "decimal", example=27.5), _f("TotalPrice", "decimal"),
    _f("ListPrice", "decimal"), _f("Discount", "decimal"), _f("ServiceDate", "date"), _f("SortOrder", "int"),
]
SALESFORCE_ACCOUNT = _schema("salesforce", "Account", SF_ACCOUNT_FIELDS + [
    _f("Contacts", "list", children=SF_CONTACT_FIELDS)], "__c")
SALESFORCE_CONTACT = _schema("salesforce", "Contact", SF_CONTACT_FIELDS + [
    _f("Account", "object", children=SF_ACCOUNT_FIELDS)], "__c")
SALESFORCE_OPPORTUNITY = _schema("salesforce", "Opportunity", [
    _f("Id", "id"), _f("Name", max_length=120, required=True, example="Dinnerware for Melmac"),
    _f("StageName", "code", required=True, example="Closed Won"), _f("CloseDate", "date", required=True, example="2021-04-16"),
    _f("Amount", "decimal", example=110), _f("CurrencyIsoCode", "code", 3), _f("AccountId", "id"), _f("ContactId", "id"),
    _f("IsClosed", "bool"), _f("IsWon", "bool"), _f("Description"), _f("Type"), _f("SystemModstamp", "datetime"),
    _f("Account", "object", children=SF_ACCOUNT_FIELDS),
    _f("OpportunityLineItems", "list", children=SF_LINE_FIELDS),
    _f("OpportunityContactRoles", "list", children=[
        _f("ContactId", "id"), _f("IsPrimary", "bool"), _f("Role"), _f("Contact", "object", children=SF_CONTACT_FIELDS)]),
], "__c")
SALESFORCE_LINE = _schema("salesforce", "OpportunityLineItem", SF_LINE_FIELDS, "__c")

SCHEMAS = (SALESFORCE_ACCOUNT, SALESFORCE_CONTACT, SALESFORCE_OPPORTUNITY, SALESFORCE_LINE)

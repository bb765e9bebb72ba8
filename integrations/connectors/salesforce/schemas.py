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

# The objects of the demo's generic flows, as describe reports them; a describe read from the
# org (objects.py, DescribedObject) replaces them. Closed: an unknown field is refused.
RO = {"createable": False, "updateable": False}
SALESFORCE_ORDER = _schema("salesforce", "Order", [
    _f("Id", "id", **RO), _f("AccountId", "id", 18, required=True, label="Account ID"),
    _f("Status", "code", 40, required=True, example="Activated", picklist=("Draft", "Activated")),
    _f("EffectiveDate", "date", required=True, example="2026-01-15", label="Order Start Date"),
    _f("EndDate", "date"), _f("OrderNumber", "text", 30, example="00000100", **RO), _f("Name", "text", 80),
    _f("PoNumber", "text", 80), _f("Description", "text", 32000), _f("TotalAmount", "decimal", example=250, **RO),
    _f("Pricebook2Id", "id", 18), _f("BillingStreet", "text", 255), _f("BillingCity", "text", 40),
    _f("BillingState", "text", 80), _f("BillingPostalCode", "text", 20), _f("BillingCountry", "text", 80),
    _f("FreshBooks_Invoice_Id__c", "text", 50, external_id=True, label="FreshBooks Invoice Id"),
    _f("FreshBooks_Invoice_Number__c", "text", 50, label="FreshBooks Invoice Number"),
    _f("OwnerId", "id", 18), _f("CreatedDate", "datetime", **RO), _f("SystemModstamp", "datetime", **RO),
], label="Order")
SALESFORCE_ORDER_ITEM = _schema("salesforce", "OrderItem", [
    _f("Id", "id", **RO), _f("OrderId", "id", 18, required=True, updateable=False),
    _f("PricebookEntryId", "id", 18, updateable=False), _f("Product2Id", "id", 18, **RO),
    _f("Quantity", "decimal", required=True, example=2), _f("UnitPrice", "decimal", required=True, example=125),
    _f("TotalPrice", "decimal", **RO), _f("Description", "text", 255), _f("OrderItemNumber", "text", 30, **RO),
    _f("SystemModstamp", "datetime", **RO),
], label="Order Product")
INVOICE_STATUSES = ("draft", "sent", "viewed", "partial", "paid", "overdue", "disputed", "outstanding")
SALESFORCE_FRESHBOOKS_INVOICE = _schema("salesforce", "FreshBooks_Invoice__c", [
    _f("Id", "id", **RO), _f("Name", "text", 80, required=True, example="0000001", label="Invoice Number"),
    _f("Account__c", "id", 18, label="Account"),
    _f("Status__c", "code", 40, example="sent", label="Status", picklist=INVOICE_STATUSES),
    _f("Total__c", "decimal", example=250, label="Total"), _f("Outstanding__c", "decimal", example=250, label="Outstanding"),
    _f("Currency__c", "text", 3, example="USD", label="Currency"), _f("Issue_Date__c", "date", label="Issue Date"),
    _f("Link__c", "text", 255, label="Link"),
    _f("FreshBooks_Invoice_Id__c", "text", 50, external_id=True, label="FreshBooks Invoice Id"),
    _f("OwnerId", "id", 18), _f("CreatedDate", "datetime", **RO), _f("SystemModstamp", "datetime", **RO),
], label="FreshBooks Invoice")

SCHEMAS = (SALESFORCE_ACCOUNT, SALESFORCE_CONTACT, SALESFORCE_OPPORTUNITY, SALESFORCE_LINE, SALESFORCE_ORDER,
           SALESFORCE_ORDER_ITEM, SALESFORCE_FRESHBOOKS_INVOICE)

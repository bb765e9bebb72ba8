"""The reads the Salesforce flows need, each one SOQL query: the Opportunity with its
Account, primary contact and line items; records changed since a SystemModstamp watermark."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.errors import RecordNotFound
from integrations.connectors.salesforce.soql import soql_format, soql_identifier

OPPORTUNITY_FIELDS = [
    "Id", "Name", "StageName", "IsClosed", "IsWon", "CloseDate", "Amount", "Description", "AccountId",
    "Pricebook2Id", "LastModifiedDate", "SystemModstamp", "FreshBooks_Invoice_Id__c",
    "FreshBooks_Invoice_Number__c", "Payment_Status__c", "Amount_Paid__c", "Date_Paid__c",
]
ACCOUNT_FIELDS = ["Id", "Name", "Phone", "Website", "BillingStreet", "BillingCity", "BillingState",
                  "BillingPostalCode", "BillingCountry", "FreshBooks_Client_Id__c"]
CONTACT_FIELDS = ["Id", "FirstName", "LastName", "Email", "Phone"]
LINE_FIELDS = ["Id", "Name", "Quantity", "UnitPrice", "TotalPrice", "ListPrice", "Description", "ServiceDate",
               "SortOrder", "PricebookEntryId", "Product2Id", "Product2.Name", "Product2.ProductCode"]


def opportunity_select(*, multi_currency: bool = False) -> str:
    """SELECT … FROM Opportunity with the Account, the primary contact role and the line items."""
    currency = ["CurrencyIsoCode"] if multi_currency else []
    fields = OPPORTUNITY_FIELDS + currency + [f"Account.{f}" for f in ACCOUNT_FIELDS]
    roles = ("(SELECT Id, Role, IsPrimary, ContactId, " + ", ".join(f"Contact.{f}" for f in CONTACT_FIELDS)
             + " FROM OpportunityContactRoles WHERE IsPrimary = true)")
    lines = f"(SELECT {', '.join(LINE_FIELDS + currency)} FROM OpportunityLineItems ORDER BY SortOrder, CreatedDate)"
    return f"SELECT {', '.join(fields)}, {roles}, {lines} FROM Opportunity"


def opportunity_query(opportunity_id: str, *, multi_currency: bool = False) -> str:
    return soql_format(opportunity_select(multi_currency=multi_currency) + " WHERE Id = {id}", id=opportunity_id)


def opportunity_read(client: SalesforceClient, opportunity_id: str) -> dict:
    """{"opportunity", "account", "primary_contact", "line_items"} from one query (plus
    queryMore only when the line items span several pages)."""
    multi = bool(client.connection.settings.get("multi_currency"))
    page = client.query(opportunity_query(opportunity_id, multi_currency=multi))
    if not page["records"]:
        raise RecordNotFound(f"Salesforce has no Opportunity {opportunity_id} (it may have been deleted).")
    return opportunity_from_record(client, page["records"][0])


def opportunity_from_record(client: SalesforceClient, record: dict) -> dict:
    """One row of the Opportunity query as its parts (following child pages when there are more)."""
    roles = client.children(record, "OpportunityContactRoles")
    lines = client.children(record, "OpportunityLineItems")
    opportunity = {k: v for k, v in record.items()
                   if k not in ("Account", "OpportunityContactRoles", "OpportunityLineItems", "attributes")}
    account = {k: v for k, v in (record.get("Account") or {}).items() if k != "attributes"} or None
    contact = roles[0].get("Contact") if roles else None
    return {
        "opportunity": opportunity,
        "account": account,
        "primary_contact": {k: v for k, v in contact.items() if k != "attributes"} if contact else None,
        "line_items": [{k: v for k, v in line.items() if k != "attributes"} for line in lines],
    }


def modified_since(client: SalesforceClient, sobject: str, fields: list[str], since: datetime, *,
                   until: datetime | None = None, include_deleted: bool = False) -> Iterator[dict]:
    """Records whose SystemModstamp is after ``since`` (and not after ``until``), oldest first:
    the polling / backfill watermark query."""
    names = ", ".join(soql_identifier(f) for f in dict.fromkeys(["Id", "SystemModstamp", *fields]))
    where = "SystemModstamp > {since}" + (" AND SystemModstamp <= {until}" if until else "")
    query = soql_format(f"SELECT {names} FROM {soql_identifier(sobject)} WHERE {where} ORDER BY SystemModstamp ASC",
                        since=since, **({"until": until} if until else {}))
    return client.query_all_iter(query, include_deleted=include_deleted)

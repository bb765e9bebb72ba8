"""How reconciliation and the deal timeline see Salesforce records: a fresh read of one record
as {amount, currency, status}, and a Lightning link to it."""
from __future__ import annotations

from integrations.connectors.connector import stored_link
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.errors import RecordNotFound
from integrations.models import Binding, Connection


# Where an object keeps its total, status and currency: the first of these it has (Opportunity,
# Order, the demo's FreshBooks_Invoice__c), so the pairs of generic flows are reconciled too.
AMOUNT_FIELDS = ("Amount", "TotalAmount", "Total__c")
STATUS_FIELDS = ("StageName", "Status", "Status__c")
CURRENCY_FIELDS = ("CurrencyIsoCode", "Currency__c")


def _first(record: dict, names: tuple[str, ...]):
    return next((record[n] for n in names if record.get(n) not in (None, "")), None)


def salesforce_record_read(connection: Connection, object_type: str, external_id: str) -> dict | None:
    try:
        record = SalesforceClient(connection).get(object_type, external_id)
    except RecordNotFound:
        return None
    amount = _first(record, AMOUNT_FIELDS)
    out = {"amount": amount, "status": _first(record, STATUS_FIELDS),
           "currency": _first(record, CURRENCY_FIELDS) or (connection.settings.get("default_currency")
                                                           if amount is not None else None)}
    return {k: v for k, v in out.items() if v not in (None, "")}


def salesforce_link(binding: Binding) -> str | None:
    base = (binding.connection.base_url or "").rstrip("/")
    if not base or binding.connection.is_sandbox:
        return stored_link(binding)
    return stored_link(binding) or f"{base}/lightning/r/{binding.object_type}/{binding.external_id}/view"

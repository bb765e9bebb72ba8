"""How reconciliation and the deal timeline see FreshBooks and Salesforce records: a fresh read
of one record as {amount, currency, status} (RECORD_READERS) and a link to it in its own
system (RECORD_LINKS)."""
from __future__ import annotations

from integrations.errors import FatalError
from integrations.models import Binding, Connection

FRESHBOOKS_KINDS = {"invoice": "invoices", "client": "clients", "payment": "payments", "expense": "expenses"}
# The simulator's page path for each object kind (sandbox connections link there).
SANDBOX_KIND_PAGES = {"invoice": "invoice", "client": "client", "payment": "payment", "expense": "expense"}


def freshbooks_record_read(connection: Connection, object_type: str, external_id: str) -> dict | None:
    from integrations.connectors.freshbooks.client import FreshBooksClient

    api = getattr(FreshBooksClient(connection), FRESHBOOKS_KINDS.get(object_type, ""), None)
    if api is None:
        return {}
    try:
        record = api.get(external_id, include=())
    except FatalError as exc:
        if exc.http_status == 404:
            return None
        raise
    if int(record.get("vis_state") or 0) == 1:
        return None
    money = record.get("amount") if isinstance(record.get("amount"), dict) else {}
    out = {"amount": money.get("amount"), "currency": record.get("currency_code") or money.get("code"),
           "status": record.get("v3_status") or record.get("payment_status")}
    return {k: v for k, v in out.items() if v not in (None, "")}


def salesforce_record_read(connection: Connection, object_type: str, external_id: str) -> dict | None:
    from integrations.connectors.salesforce.client import SalesforceClient
    from integrations.connectors.salesforce.errors import RecordNotFound

    try:
        record = SalesforceClient(connection).get(object_type, external_id)
    except RecordNotFound:
        return None
    out = {"amount": record.get("Amount"), "status": record.get("StageName"),
           "currency": record.get("CurrencyIsoCode") or (connection.settings.get("default_currency")
                                                        if record.get("Amount") is not None else None)}
    return {k: v for k, v in out.items() if v not in (None, "")}


def freshbooks_link(binding: Binding) -> str | None:
    from integrations.operations.timeline import stored_link

    connection = binding.connection
    kind = SANDBOX_KIND_PAGES.get(binding.object_type)
    account = connection.settings.get("account_id")
    if connection.is_sandbox and kind and account:
        return f"{connection.base_url.rstrip('/')}/accounts/{account}/{kind}/{binding.external_id}/"
    return stored_link(binding)

"""How reconciliation and the deal timeline see FreshBooks records: a fresh read of one record
as {amount, currency, status}, and a link to it (sandbox connections link to the simulator's page)."""
from __future__ import annotations

from integrations.connectors.connector import stored_link
from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.errors import FatalError
from integrations.models import Binding, Connection

FRESHBOOKS_KINDS = {"invoice": "invoices", "client": "clients", "payment": "payments", "expense": "expenses"}
# The simulator's page path for each object kind (sandbox connections link there).
SANDBOX_KIND_PAGES = {"invoice": "invoice", "client": "client", "payment": "payment", "expense": "expense"}


def freshbooks_record_read(connection: Connection, object_type: str, external_id: str) -> dict | None:
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


def freshbooks_link(binding: Binding) -> str | None:
    connection = binding.connection
    kind = SANDBOX_KIND_PAGES.get(binding.object_type)
    account = connection.settings.get("account_id")
    if connection.is_sandbox and kind and account:
        return f"{connection.base_url.rstrip('/')}/accounts/{account}/{kind}/{binding.external_id}/"
    return stored_link(binding)

"""Infor records for reconciliation (InforConnector.record_read) and the deal timeline (record_link)."""
from __future__ import annotations

from django.conf import settings

from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.models import Binding, Connection


def infor_record_read(connection: Connection, object_type: str, external_id: str) -> dict | None:
    """Amount, currency and status of a bound Infor record; None when it no longer exists."""
    adapter = infor_adapter_for(connection)
    if object_type == "order":
        status = adapter.get_order_status(order_number=external_id)
        state = "invoiced" if status["invoiced"] else "delivered" if status["delivered"] else "open"
        return {"amount": str(status["net_amount"]), "currency": status["currency"], "status": state}
    if object_type == "customer":
        customer = adapter.get_customer(customer_number=external_id)
        return None if customer is None else {"currency": customer["currency"], "status": customer["status"]}
    return {}  # payments and GL batches: posted documents with no read-back transaction in the adapter


def infor_record_link(binding: Binding) -> str | None:
    """M3 has no public deep links; sandbox records link to the simulator's page."""
    stored = (binding.extra or {}).get("url")
    if stored:
        return stored
    if binding.connection.is_sandbox:
        return f"{settings.LEDGERLINK_PUBLIC_URL}/sandbox/infor/#{binding.object_type}-{binding.external_id}"
    return None

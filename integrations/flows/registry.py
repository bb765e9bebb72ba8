"""Explicit registry of flow handlers: Flow.kind → handler class.

Built-in flows are listed here by hand (no import side effects). Deployments may add their
own with the LEDGERLINK_FLOW_HANDLERS setting ("kind=dotted.path.Class,…").
"""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from integrations.sync.handler import FlowHandler

FLOW_HANDLERS: dict[str, str] = {
    # kind: dotted path (imported lazily so a flow's connectors load only when used)
    "order_to_cash": "integrations.flows.order_to_cash.handler.OrderToCashFlow",
    "shipment_invoice": "integrations.flows.shipment_invoice.handler.ShipmentInvoiceFlow",
    "payment_infor": "integrations.flows.payment_infor.handler.PaymentInforFlow",
    "expense_gl": "integrations.flows.expense_gl.handler.ExpenseGlFlow",
    "client_infor": "integrations.flows.client_infor.handler.ClientInforFlow",
    "salesforce-account-to-freshbooks-client": "integrations.flows.client_account.handler.AccountToClientFlow",
    "freshbooks-client-to-salesforce-account": "integrations.flows.client_account.handler.ClientToAccountFlow",
    "salesforce-opportunity-to-freshbooks-invoice": "integrations.flows.opportunity_invoice.handler.OpportunityInvoiceFlow",
    "freshbooks-payment-to-salesforce-opportunity": "integrations.flows.payment_opportunity.handler.PaymentOpportunityFlow",
}


class UnknownFlowKind(LookupError):
    pass


def flow_handler_class(kind: str) -> type[FlowHandler]:
    paths = {**FLOW_HANDLERS, **getattr(settings, "LEDGERLINK_FLOW_HANDLERS", {})}
    try:
        return import_string(paths[kind])
    except KeyError:
        raise UnknownFlowKind(
            f"No flow handler is registered for kind '{kind}'. Known kinds: {', '.join(sorted(paths)) or 'none'}."
        ) from None


def flow_handler_for(flow) -> FlowHandler:
    return flow_handler_class(flow.kind)(flow)


def flow_kinds() -> list[str]:
    return sorted({**FLOW_HANDLERS, **getattr(settings, "LEDGERLINK_FLOW_HANDLERS", {})})

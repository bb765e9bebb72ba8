"""Explicit registry of flow kinds: Flow.kind → handler class.

Built-in flows are listed here by hand (no import side effects). Deployments may add their
own with the LEDGERLINK_FLOW_HANDLERS setting ("kind=dotted.path.Class,…").
"""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from integrations.sync.handler import FlowHandler

FLOW_KINDS: dict[str, str] = {
    # kind (<source>-<object>-to-<target>-<object>): dotted path of its handler class, imported
    # lazily so a flow's connectors load only when used
    "salesforce-account-to-freshbooks-client": "integrations.flows.client_account.handler.AccountToClientFlow",
    "freshbooks-client-to-salesforce-account": "integrations.flows.client_account.handler.ClientToAccountFlow",
    "salesforce-opportunity-to-freshbooks-invoice": "integrations.flows.opportunity_invoice.handler.OpportunityInvoiceFlow",
    "freshbooks-payment-to-salesforce-opportunity": "integrations.flows.payment_opportunity.handler.PaymentOpportunityFlow",
    "shop-order-to-infor-order": "integrations.flows.order_to_cash.handler.OrderToCashFlow",
    "infor-order-to-freshbooks-invoice": "integrations.flows.shipment_invoice.handler.ShipmentInvoiceFlow",
    "freshbooks-payment-to-infor-payment": "integrations.flows.payment_infor.handler.PaymentInforFlow",
    "freshbooks-expense-to-infor-journal": "integrations.flows.expense_gl.handler.ExpenseGlFlow",
    "freshbooks-client-to-infor-customer": "integrations.flows.client_infor.handler.ClientToCustomerFlow",
    "infor-customer-to-freshbooks-client": "integrations.flows.client_infor.handler.CustomerToClientFlow",
}


class UnknownFlowKind(LookupError):
    pass


def flow_handler_class(kind: str) -> type[FlowHandler]:
    paths = {**FLOW_KINDS, **getattr(settings, "LEDGERLINK_FLOW_HANDLERS", {})}
    try:
        return import_string(paths[kind])
    except KeyError:
        raise UnknownFlowKind(
            f"No flow handler is registered for kind '{kind}'. Known kinds: {', '.join(sorted(paths)) or 'none'}."
        ) from None


def flow_handler_for(flow) -> FlowHandler:
    return flow_handler_class(flow.kind)(flow)


def flow_kinds() -> list[str]:
    return sorted({**FLOW_KINDS, **getattr(settings, "LEDGERLINK_FLOW_HANDLERS", {})})

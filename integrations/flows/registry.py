"""Explicit registry of flow kinds: Flow.kind → handler class.

Built-in flows are listed here by hand (no import side effects). Deployments may add their
own with the LEDGERLINK_FLOW_HANDLERS setting ("kind=dotted.path.Class,…").

It also checks a flow's configuration against its kind: the kind must be registered and its
settings must match the handler's ``settings_spec`` (flows/toolkit/settings.py). The admin form,
``import_config`` (through LEDGERLINK_FLOW_CONFIG_VALIDATOR) and the engine all ask here.
"""
from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.utils.module_loading import import_string

from integrations.errors import FatalError, UnknownFlowKind
from integrations.models import Connection
from integrations.flows.toolkit.mapping import mapping_set_chosen
from integrations.flows.toolkit.settings import COMMON_SETTINGS, Problem, SettingsSpec
from integrations.sync.handler import FlowHandler

FLOW_KINDS: dict[str, str] = {
    # kind (<source>-<object>-to-<target>-<object>): dotted path of its handler class, imported
    # lazily so a flow's connectors load only when used
    "salesforce-account-to-freshbooks-client": "integrations.flows.client_account.handler.AccountToClientFlow",
    "freshbooks-client-to-salesforce-account": "integrations.flows.client_account.handler.ClientToAccountFlow",
    "salesforce-contact-to-freshbooks-client": "integrations.flows.client_account.contact_relay.ContactToClientFlow",
    "salesforce-opportunity-to-freshbooks-invoice": "integrations.flows.opportunity_invoice.handler.OpportunityInvoiceFlow",
    "freshbooks-payment-to-salesforce-opportunity": "integrations.flows.payment_opportunity.handler.PaymentOpportunityFlow",
    "shop-order-to-infor-order": "integrations.flows.order_to_cash.handler.OrderToCashFlow",
    "infor-order-to-freshbooks-invoice": "integrations.flows.shipment_invoice.handler.ShipmentInvoiceFlow",
    "freshbooks-payment-to-infor-payment": "integrations.flows.payment_infor.handler.PaymentInforFlow",
    "freshbooks-expense-to-infor-journal": "integrations.flows.expense_gl.handler.ExpenseGlFlow",
    "freshbooks-client-to-infor-customer": "integrations.flows.client_infor.handler.ClientToCustomerFlow",
    "infor-customer-to-freshbooks-client": "integrations.flows.client_infor.handler.CustomerToClientFlow",
    # The generic kind: any object to any object, configured as data (no code per route)
    "record_sync": "integrations.flows.record_sync.handler.RecordSyncFlow",
}


class KindObjects(NamedTuple):
    """The systems and objects a flow kind works on (its connections, its Flow.source_object and
    target_object, and the mapping sets suitable for it)."""

    source_systems: tuple[str, ...]
    source_objects: tuple[str, ...]
    target_systems: tuple[str, ...]
    target_objects: tuple[str, ...]


#: Kinds configured as data (flows/record_sync): they work on any object their connections offer,
#: so FLOW_KIND_OBJECTS does not limit them; their handler's objects_problems checks what they name.
GENERIC_KINDS = frozenset({"record_sync"})

SF, FB, M3 = ("salesforce",), ("freshbooks",), ("infor",)
# A kind not listed here (e.g. one added through LEDGERLINK_FLOW_HANDLERS) is not limited.
FLOW_KIND_OBJECTS: dict[str, KindObjects] = {
    "salesforce-account-to-freshbooks-client": KindObjects(SF, ("Account",), FB, ("client",)),
    "freshbooks-client-to-salesforce-account": KindObjects(FB, ("client",), SF, ("Account",)),
    "salesforce-contact-to-freshbooks-client": KindObjects(SF, ("Contact",), FB, ("client",)),
    "salesforce-opportunity-to-freshbooks-invoice": KindObjects(SF, ("Opportunity",), FB, ("invoice",)),
    "freshbooks-payment-to-salesforce-opportunity": KindObjects(FB, ("payment", "invoice"), SF, ("Opportunity",)),
    # the shop's order becomes a FreshBooks invoice, then an Infor order (its mapping steps write both)
    "shop-order-to-infor-order": KindObjects(("shopify", "woocommerce"), ("order",), FB + M3, ("invoice",)),
    "infor-order-to-freshbooks-invoice": KindObjects(M3, ("order",), FB, ("invoice",)),
    "freshbooks-payment-to-infor-payment": KindObjects(FB, ("payment",), M3, ("payment",)),
    "freshbooks-expense-to-infor-journal": KindObjects(FB, ("expense",), M3, ("journal",)),
    "freshbooks-client-to-infor-customer": KindObjects(FB, ("client",), M3, ("customer",)),
    "infor-customer-to-freshbooks-client": KindObjects(M3, ("customer",), FB, ("client",)),
}


def flow_kind_objects(kind: str) -> KindObjects | None:
    return FLOW_KIND_OBJECTS.get(kind)


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


def flow_settings_spec(handler_class: type[FlowHandler]) -> SettingsSpec:
    """The settings a handler accepts; one that declares none accepts those every flow does."""
    return handler_class.settings_spec or COMMON_SETTINGS


def flow_settings_problems(*, kind: str, settings) -> list[Problem]:
    """What is wrong with a flow of this kind having these settings (the kind first)."""
    if not isinstance(kind, str) or not kind:
        return [Problem("kind", f"A flow needs a kind, one of: {', '.join(flow_kinds())}.")]
    try:
        handler_class = flow_handler_class(kind)
    except UnknownFlowKind as exc:
        return [Problem("kind", str(exc))]
    return flow_settings_spec(handler_class).problems(settings, kind=kind)


def flow_config_errors(*, kind: str, settings, flow: dict | None = None) -> list[str]:
    """Every problem with a flow's kind and settings, each a sentence naming the key or value;
    empty when the flow may run. (import_config calls this by its dotted path, with the flow as
    the file has it: its connections by name, its objects.)"""
    problems = [problem.sentence for problem in flow_settings_problems(kind=kind, settings=settings)]
    if problems or not flow:
        return problems
    source = Connection.objects.filter(name=flow.get("source_connection") or "").first()
    target = Connection.objects.filter(name=flow.get("target_connection") or "").first()
    if source is None:
        return problems  # the importer names the missing connection
    return flow_objects_problems(kind=kind, source_connection=source, source_object=flow.get("source_object", ""),
                                 target_connection=target, target_object=flow.get("target_object", ""),
                                 settings=settings)


def flow_objects_problems(*, kind: str, source_connection, source_object: str, target_connection,
                          target_object: str, settings) -> list[str]:
    """What the flow names that its systems do not have (objects, fields), for kinds whose handler
    checks that (``objects_problems``: the generic record-sync flow)."""
    try:
        check = getattr(flow_handler_class(kind), "objects_problems", None)
    except UnknownFlowKind:
        return []
    if check is None:
        return []
    return check(source_connection=source_connection, source_object=source_object,
                 target_connection=target_connection, target_object=target_object, settings=settings or {})


def flow_handler_checked(flow) -> FlowHandler:
    """The flow's handler, once its stored settings are known good: settings saved before they
    were checked (or written around the admin) end the item as a dead letter naming the
    problem, instead of failing somewhere inside the flow."""
    handler_class = flow_handler_class(flow.kind)
    problems = flow_settings_spec(handler_class).problems(flow.settings, kind=flow.kind)
    if problems:
        raise FatalError(" ".join(p.sentence for p in problems), field=problems[0].key)
    return handler_class(flow)


def flow_mapping_sets(flow) -> list[tuple[str, str, object]]:
    """(step, set name, the mapping set it maps with or None) for every mapping step of the flow
    (its handler's ``mapping_steps``, chosen by the one rule; for the pre-flight checks)."""
    handler = flow_handler_class(flow.kind)(flow)
    return [(step, *mapping_set_chosen(flow=flow, step=step, default=default))
            for step, default in handler.mapping_steps().items()]


def flow_mapping_set_names(flow) -> list[str]:
    """The names of every mapping set the flow maps with (its own and each step's), for
    export_config (settings.LEDGERLINK_FLOW_MAPPING_SETS_PROVIDER: mappings imports no flow);
    only its own set for a kind no handler is registered for."""
    names = [flow.mapping_set.name] if flow.mapping_set_id else []
    try:
        steps = flow_mapping_sets(flow)
    except UnknownFlowKind:  # what it would map with is unknown too
        steps = []
    return sorted({*names, *(name for _, name, _ in steps if name)})

"""The default flows (PRODUCT.md flows 1–8) in one table, and the demo steps that create them
between the sandbox connections (`make run`). Each flow is created once by name: admin edits
survive a second run."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.demo.freshbooks import CONNECTION_NAME as FRESHBOOKS
from integrations.demo.infor import DEMO_NAME as INFOR
from integrations.demo.salesforce import DEMO_NAME as SALESFORCE
from integrations.models import DEFAULT_POLL_INTERVAL_MINUTES, Connection, Flow
from mappings.models import MappingSet

# The shops' webhooks bring orders at once; this catch-up poll of the shop's API finds what they missed.
SHOP_CATCH_UP_MINUTES = 5

SHOPIFY, WOOCOMMERCE = "Shopify (sandbox)", "WooCommerce (sandbox)"
SF, FB, M3 = "salesforce", "freshbooks", "infor"
CHANGE_EVENT, WEBHOOK, POLL = Flow.Trigger.CHANGE_EVENT, Flow.Trigger.WEBHOOK, Flow.Trigger.POLL
# The two demos share one FreshBooks business: the Salesforce flows leave the shops' customers
# out, and the Infor flows leave Salesforce's (flow setting skip_linked_to, flows/toolkit/scope.py).
SHOP_CUSTOMERS = ["shopify", "woocommerce", "infor"]
FIELD_OWNER, NEWEST_WINS = Flow.ConflictPolicy.FIELD_OWNER, Flow.ConflictPolicy.NEWEST_WINS


@dataclass(frozen=True)
class DefaultFlow:
    name: str
    title: str
    kind: str
    source: tuple[str, str]  # (system, object)
    target: tuple[str, str]
    trigger: str
    mapping_set: str = ""  # the flow's own mapping set (by name); "" = the handler's default per step
    settings: dict = field(default_factory=dict)
    conflict_policy: str = FIELD_OWNER
    # None: the caller's interval. 0 only where the source cannot be polled (the shops): every
    # Salesforce- and FreshBooks-sourced flow polls as the safety net under its events.
    poll_minutes: int | None = None


DEFAULT_FLOWS: list[DefaultFlow] = [
    # flows 1–3: Salesforce ⇄ FreshBooks
    DefaultFlow("sf-account-to-fb-client", "Salesforce Account → FreshBooks client",
                "salesforce-account-to-freshbooks-client", (SF, "Account"), (FB, "client"), CHANGE_EVENT,
                "salesforce-account-to-freshbooks-client", {"on_account_deleted": "leave"}),
    DefaultFlow("sf-contact-to-fb-client", "Salesforce primary Contact → FreshBooks client (via its Account)",
                "salesforce-contact-to-freshbooks-client", (SF, "Contact"), (FB, "client"), CHANGE_EVENT),
    DefaultFlow("fb-client-to-sf-account", "FreshBooks client → Salesforce Account + primary Contact",
                "freshbooks-client-to-salesforce-account", (FB, "client"), (SF, "Account"), WEBHOOK,
                "freshbooks-client-to-salesforce-account",
                {"contact_mapping_set": "freshbooks-client-to-salesforce-contact",
                 "skip_linked_to": SHOP_CUSTOMERS}),
    DefaultFlow("sf-opportunity-to-fb-invoice", "Opportunity Closed Won → FreshBooks invoice",
                "salesforce-opportunity-to-freshbooks-invoice", (SF, "Opportunity"), (FB, "invoice"), CHANGE_EVENT,
                "salesforce-opportunity-to-freshbooks-invoice",
                {"invoice_status": "draft", "on_won_again": "update_draft", "idempotency_field": "po_number",
                 "idempotency_lookup": "customer_scan", "on_opportunity_deleted": "leave"}),
    DefaultFlow("fb-payment-to-sf-opportunity", "FreshBooks payment → Opportunity payment status",
                "freshbooks-payment-to-salesforce-opportunity", (FB, "payment"), (SF, "Opportunity"), WEBHOOK,
                "freshbooks-invoice-to-salesforce-opportunity"),
    DefaultFlow("fb-invoice-to-sf-opportunity", "FreshBooks invoice update → Opportunity payment status",
                "freshbooks-payment-to-salesforce-opportunity", (FB, "invoice"), (SF, "Opportunity"), WEBHOOK,
                "freshbooks-invoice-to-salesforce-opportunity"),
    # Generic flows (kind record_sync): configured only as data, this row and a default mapping set
    DefaultFlow("fb-invoice-to-sf-invoice-record", "FreshBooks invoice → Salesforce FreshBooks_Invoice__c (generic)",
                "record_sync", (FB, "invoice"), (SF, "FreshBooks_Invoice__c"), WEBHOOK,
                "freshbooks-invoice-to-salesforce-freshbooks-invoice",
                {"marker_field": "FreshBooks_Invoice_Id__c", "match": [["Name", "Account__c"]],
                 "links": {"Account__c": {"from": "customerid", "source_object": "client", "target_object": "Account",
                                          "when_missing": "skip"}}}),
    DefaultFlow("sf-order-to-fb-invoice", "Salesforce activated Order → FreshBooks invoice (generic)",
                "record_sync", (SF, "Order"), (FB, "invoice"), CHANGE_EVENT, "salesforce-order-to-freshbooks-invoice",
                {"filter": {"field": "Status", "op": "eq", "value": "Activated"}, "children": ["OrderItems"],
                 "marker_field": "po_number",
                 "links": {"customerid": {"from": "AccountId", "source_object": "Account", "target_object": "client"}},
                 "write_back": {"field": "FreshBooks_Invoice_Number__c", "value": "invoice_number"}}),
    # flows 4–8: the shops, FreshBooks and Infor M3
    DefaultFlow("order-to-cash-shopify", "Order-to-Cash: Shopify order → FreshBooks → Infor",
                "shop-order-to-infor-order", ("shopify", "order"), (FB, "invoice"), WEBHOOK,
                settings={"infor_connection": INFOR}, poll_minutes=SHOP_CATCH_UP_MINUTES),
    DefaultFlow("order-to-cash-woocommerce", "Order-to-Cash: WooCommerce order → FreshBooks → Infor",
                "shop-order-to-infor-order", ("woocommerce", "order"), (FB, "invoice"), WEBHOOK,
                settings={"infor_connection": INFOR}, poll_minutes=SHOP_CATCH_UP_MINUTES),
    DefaultFlow("infor-shipment-to-freshbooks-invoice", "Shipment: Infor order delivered → FreshBooks invoice sent",
                "infor-order-to-freshbooks-invoice", (M3, "order"), (FB, "invoice"), POLL,
                settings={"delivered_action": "mark_as_sent"}, poll_minutes=1),
    DefaultFlow("freshbooks-payment-to-infor", "Payment: FreshBooks payment → Infor payment and reconciliation",
                "freshbooks-payment-to-infor-payment", (FB, "payment"), (M3, "payment"), WEBHOOK),
    DefaultFlow("freshbooks-expense-to-infor-gl", "Expense → Infor GL journal",
                "freshbooks-expense-to-infor-journal", (FB, "expense"), (M3, "journal"), WEBHOOK,
                settings={"offset_account": "2000", "tax_account": "2640"}),
    DefaultFlow("freshbooks-client-to-infor-customer", "Client → Infor customer",
                "freshbooks-client-to-infor-customer", (FB, "client"), (M3, "customer"), WEBHOOK,
                settings={"skip_linked_to": [SF]}, conflict_policy=NEWEST_WINS),
    DefaultFlow("infor-customer-to-freshbooks-client", "Infor customer → client",
                "infor-customer-to-freshbooks-client", (M3, "customer"), (FB, "client"), POLL,
                conflict_policy=NEWEST_WINS, poll_minutes=5),
]


def default_flows_create(*, connections: dict[str, Connection],
                         poll_minutes: int = DEFAULT_POLL_INTERVAL_MINUTES) -> list[tuple[Flow, bool]]:
    """Create every default flow both of whose systems have a connection in ``connections``
    (system → connection); existing ones (by name) are left as edited. Returns (flow, created)."""
    made = []
    for row in DEFAULT_FLOWS:
        source, target = connections.get(row.source[0]), connections.get(row.target[0])
        if source is None or target is None:
            continue
        mapping_set = MappingSet.objects.filter(name=row.mapping_set, status=MappingSet.Status.PUBLISHED) \
            .order_by("-version").first() if row.mapping_set else None
        made.append(Flow.objects.get_or_create(name=row.name, defaults=dict(
            title=row.title, kind=row.kind, source_connection=source, source_object=row.source[1],
            target_connection=target, target_object=row.target[1], trigger=row.trigger, mapping_set=mapping_set,
            poll_interval_minutes=poll_minutes if row.poll_minutes is None else row.poll_minutes,
            settings=dict(row.settings), conflict_policy=row.conflict_policy)))
    return made


def default_flows_ensure(*, salesforce: Connection, freshbooks: Connection, poll_minutes: int = 5) -> list[Flow]:
    """The default flows between these two connections (flows 1–3)."""
    made = default_flows_create(connections={SF: salesforce, FB: freshbooks}, poll_minutes=poll_minutes)
    return [flow for flow, _ in made]


def flows_sandbox_ensure(write: Callable[[str], None]) -> None:
    """Demo step: the default flows between the sandbox Salesforce and FreshBooks connections."""
    salesforce = Connection.objects.filter(name=SALESFORCE).first()
    freshbooks = Connection.objects.filter(name=FRESHBOOKS).first()
    if salesforce is None or freshbooks is None:
        write("Default flows not created: the sandbox Salesforce and FreshBooks connections are missing.")
        return
    flows = default_flows_ensure(salesforce=salesforce, freshbooks=freshbooks)
    write(f"Flows ready: {', '.join(f.name for f in flows)} (Integrations → Flows).")


def infor_flows_demo_ensure(write: Callable[[str], None]) -> None:
    """Demo step: the default flows 4–8 between the sandbox FreshBooks, Infor and shop connections."""
    names = {FB: FRESHBOOKS, M3: INFOR, "shopify": SHOPIFY, "woocommerce": WOOCOMMERCE}
    found = {c.name: c for c in Connection.objects.filter(name__in=names.values())}
    missing = sorted(set(names.values()) - set(found))
    if missing:
        write(f"Infor demo flows not created: connection(s) {', '.join(missing)} missing.")
        return
    made = default_flows_create(connections={system: found[name] for system, name in names.items()})
    created = [flow.name for flow, was_made in made if was_made]
    write(f"Infor demo flows: {'created ' + ', '.join(created) if created else 'already there'}.")


# The demo flows 4–8 by name (what infor_flows_demo_ensure creates).
DEMO_FLOWS = [row.name for row in DEFAULT_FLOWS if SF not in (row.source[0], row.target[0])]

"""Demo set-up (a DEMO_STEP): the default flows 4–8 between the sandbox connections.

Runs after the connection steps; creates each flow once by name (admin edits survive).
"""
from __future__ import annotations

from collections.abc import Callable

from integrations.models import Connection, Flow

FRESHBOOKS, INFOR = "FreshBooks (sandbox)", "Infor M3 (sandbox)"
SHOPIFY, WOOCOMMERCE = "Shopify (sandbox)", "WooCommerce (sandbox)"

# name → (title, kind, source connection, source object, target connection, target object, trigger, settings)
DEMO_FLOWS = {
    "order-to-cash-shopify": ("Order-to-Cash: Shopify order → FreshBooks → Infor", "order_to_cash", SHOPIFY, "order",
                              FRESHBOOKS, "invoice", Flow.Trigger.WEBHOOK, {"infor_connection": INFOR}),
    "order-to-cash-woocommerce": ("Order-to-Cash: WooCommerce order → FreshBooks → Infor", "order_to_cash",
                                  WOOCOMMERCE, "order", FRESHBOOKS, "invoice", Flow.Trigger.WEBHOOK,
                                  {"infor_connection": INFOR}),
    "infor-shipment-to-freshbooks-invoice": ("Shipment: Infor order delivered → FreshBooks invoice sent",
                                             "shipment_invoice", INFOR, "order", FRESHBOOKS, "invoice",
                                             Flow.Trigger.POLL, {"delivered_action": "mark_as_sent"}),
    "freshbooks-payment-to-infor": ("Payment: FreshBooks payment → Infor payment and reconciliation", "payment_infor",
                                    FRESHBOOKS, "payment", INFOR, "payment", Flow.Trigger.WEBHOOK, {}),
    "freshbooks-expense-to-infor-gl": ("Expense → Infor GL journal", "expense_gl", FRESHBOOKS, "expense", INFOR,
                                       "journal", Flow.Trigger.WEBHOOK,
                                       {"offset_account": "2000", "tax_account": "2640"}),
    "freshbooks-client-to-infor-customer": ("Client → Infor customer", "client_infor", FRESHBOOKS, "client", INFOR,
                                            "customer", Flow.Trigger.WEBHOOK, {}),
    "infor-customer-to-freshbooks-client": ("Infor customer → client", "client_infor", INFOR, "customer", FRESHBOOKS,
                                            "client", Flow.Trigger.POLL, {}),
}


# Infor sends no webhooks: its flows poll (through the one poller) as often as their own
# schedules did before it: delivered orders every minute, changed customers every five.
# Migration 0008 gives existing Infor flow rows the same intervals.
POLL_MINUTES = {"infor-shipment-to-freshbooks-invoice": 1, "infor-customer-to-freshbooks-client": 5}


def infor_flows_demo_ensure(write: Callable[[str], None]) -> None:
    connections = {c.name: c for c in Connection.objects.filter(name__in=[FRESHBOOKS, INFOR, SHOPIFY, WOOCOMMERCE])}
    missing = sorted({FRESHBOOKS, INFOR, SHOPIFY, WOOCOMMERCE} - set(connections))
    if missing:
        write(f"Infor demo flows not created: connection(s) {', '.join(missing)} missing.")
        return
    created = []
    for name, (title, kind, source, source_object, target, target_object, trigger, settings) in DEMO_FLOWS.items():
        _, made = Flow.objects.get_or_create(name=name, defaults={
            "title": title, "kind": kind, "source_connection": connections[source], "source_object": source_object,
            "target_connection": connections[target], "target_object": target_object, "trigger": trigger,
            "poll_interval_minutes": POLL_MINUTES.get(name, 0), "settings": settings,
            "conflict_policy": Flow.ConflictPolicy.NEWEST_WINS if kind == "client_infor" else Flow.ConflictPolicy.FIELD_OWNER,
        })
        if made:
            created.append(name)
    write(f"Infor demo flows: {'created ' + ', '.join(created) if created else 'already there'}.")

"""The Salesforce ⇄ FreshBooks flows (PRODUCT.md flows 1–3) as configured by default, and the
demo step that creates them for the sandbox connections (`make run`)."""
from __future__ import annotations

from collections.abc import Callable

from integrations.models import Connection, Flow
from mappings.models import MappingSet

SF, FB = "salesforce", "freshbooks"
# name, title, kind, source (system, object), target (system, object), trigger, mapping set, settings
DEFAULT_FLOWS = [
    ("sf-account-to-fb-client", "Salesforce Account → FreshBooks client", "salesforce-account-to-freshbooks-client",
     (SF, "Account"), (FB, "client"), Flow.Trigger.CHANGE_EVENT, "salesforce-account-to-freshbooks-client",
     {"on_account_deleted": "leave"}),
    ("fb-client-to-sf-account", "FreshBooks client → Salesforce Account + primary Contact",
     "freshbooks-client-to-salesforce-account", (FB, "client"), (SF, "Account"), Flow.Trigger.WEBHOOK,
     "freshbooks-client-to-salesforce-account", {"contact_mapping_set": "freshbooks-client-to-salesforce-contact"}),
    ("sf-opportunity-to-fb-invoice", "Opportunity Closed Won → FreshBooks invoice",
     "salesforce-opportunity-to-freshbooks-invoice", (SF, "Opportunity"), (FB, "invoice"), Flow.Trigger.CHANGE_EVENT,
     "salesforce-opportunity-to-freshbooks-invoice",
     {"invoice_status": "draft", "on_won_again": "update_draft", "idempotency_field": "po_number",
      "idempotency_lookup": "customer_scan", "on_opportunity_deleted": "leave"}),
    ("fb-payment-to-sf-opportunity", "FreshBooks payment → Opportunity payment status",
     "freshbooks-payment-to-salesforce-opportunity", (FB, "payment"), (SF, "Opportunity"), Flow.Trigger.WEBHOOK,
     "freshbooks-invoice-to-salesforce-opportunity", {}),
    ("fb-invoice-to-sf-opportunity", "FreshBooks invoice update → Opportunity payment status",
     "freshbooks-payment-to-salesforce-opportunity", (FB, "invoice"), (SF, "Opportunity"), Flow.Trigger.WEBHOOK,
     "freshbooks-invoice-to-salesforce-opportunity", {}),
]


def default_flows_ensure(*, salesforce: Connection, freshbooks: Connection, poll_minutes: int = 5) -> list[Flow]:
    """Create the default flows between these two connections (existing ones are left as edited)."""
    by_system = {SF: salesforce, FB: freshbooks}
    flows = []
    for name, title, kind, (s_sys, s_obj), (t_sys, t_obj), trigger, mapping, settings in DEFAULT_FLOWS:
        mapping_set = MappingSet.objects.filter(name=mapping, status=MappingSet.Status.PUBLISHED).order_by("-version").first()
        flow, _ = Flow.objects.get_or_create(name=name, defaults=dict(
            title=title, kind=kind, source_connection=by_system[s_sys], source_object=s_obj,
            target_connection=by_system[t_sys], target_object=t_obj, trigger=trigger, mapping_set=mapping_set,
            poll_interval_minutes=poll_minutes, settings=settings,
            conflict_policy=Flow.ConflictPolicy.FIELD_OWNER))
        flows.append(flow)
    return flows


def flows_sandbox_ensure(write: Callable[[str], None]) -> None:
    """Demo step: the default flows between the sandbox Salesforce and FreshBooks connections."""
    from integrations.demo.freshbooks import CONNECTION_NAME as FB_NAME
    from integrations.demo.salesforce import DEMO_NAME as SF_NAME

    salesforce = Connection.objects.filter(name=SF_NAME).first()
    freshbooks = Connection.objects.filter(name=FB_NAME).first()
    if salesforce is None or freshbooks is None:
        write("Default flows not created: the sandbox Salesforce and FreshBooks connections are missing.")
        return
    flows = default_flows_ensure(salesforce=salesforce, freshbooks=freshbooks)
    write(f"Flows ready: {', '.join(f.name for f in flows)} (Integrations → Flows).")

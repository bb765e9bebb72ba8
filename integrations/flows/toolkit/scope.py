"""What a flow is meant for: a flow may leave out records linked to given systems.

Two demos share one FreshBooks business: Salesforce customers (flows 1–3) and shop customers
(flows 4–8). Without a scope, a Salesforce-only customer became an Infor customer and shop
customers were offered to Salesforce. The flow setting ``skip_linked_to`` (systems) skips a
source record whose entity is linked to a record of one of those systems, saying so.
"""
from __future__ import annotations

from integrations.errors import SkippableError
from integrations.flows.toolkit.settings import Setting
from integrations.models import Binding

SCOPE_SETTINGS = (
    Setting("skip_linked_to", "texts", default=[],
            help="Systems (e.g. [\"shopify\", \"woocommerce\"]): a source record linked to a record of one of them "
                 "is skipped, saying so. Empty: every record."),
)

SYSTEM_WORDS = {"salesforce": "Salesforce", "freshbooks": "FreshBooks", "infor": "Infor", "shopify": "Shopify",
                "woocommerce": "WooCommerce"}


def scope_check(*, flow, item, words: str) -> None:
    """Raise SkippableError when the item's source record is linked to a system the flow leaves out.
    ``words``: how the source record is named in the reason (\"FreshBooks client 12\")."""
    skipped = flow.settings.get("skip_linked_to") or []
    if isinstance(skipped, str):
        skipped = [skipped]
    if not skipped:
        return
    source = Binding.objects.filter(connection=flow.source_connection_id, object_type=item.source_object,
                                    external_id=str(item.source_id)).first()
    if source is None:
        return
    linked = (Binding.objects.filter(entity=source.entity_id, connection__system__in=skipped)
              .select_related("connection").order_by("pk").first())
    if linked is not None:
        system = SYSTEM_WORDS.get(linked.connection.system, linked.connection.system)
        raise SkippableError(
            f"{words} belongs to {system} {linked.object_type} {linked.external_id}, and this flow leaves records "
            f"linked to {system} out (flow setting skip_linked_to); nothing is sent.")

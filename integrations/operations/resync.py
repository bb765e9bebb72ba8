"""Resync: queue a fresh sync of a record through every flow that reads it."""
from __future__ import annotations


from integrations.models import Binding, Connection, Flow, SyncItem
from integrations.sync.items import sync_item_enqueue



def binding_resync(*, binding: Binding, user=None) -> list[SyncItem]:
    """Queue a fresh sync of the bound record through every enabled flow that reads it."""
    flows = Flow.objects.filter(
        enabled=True, source_connection_id=binding.connection_id, source_object=binding.object_type
    )
    items = []
    for flow in flows:
        item, _ = sync_item_enqueue(
            flow=flow, source_object=binding.object_type, source_id=binding.external_id,
            hint={"reason": "resync", "requested_by": str(user) if user else "system"},
        )
        items.append(item)
    return items


def record_resync(*, system: str, object_type: str, external_id: str, user=None) -> list[SyncItem]:
    """Queue a fresh sync of one record through every enabled flow that reads it (bound or not)."""
    bindings = Binding.objects.filter(connection__system=system, object_type=object_type, external_id=external_id)
    items = [item for binding in bindings for item in binding_resync(binding=binding, user=user)]
    if items:
        return items
    connections = Connection.objects.filter(system=system, is_active=True)
    flows = Flow.objects.filter(enabled=True, source_connection__in=connections, source_object=object_type)
    return [sync_item_enqueue(flow=flow, source_object=object_type, source_id=external_id,
                              hint={"reason": "resync", "requested_by": str(user) if user else "system"})[0]
            for flow in flows]



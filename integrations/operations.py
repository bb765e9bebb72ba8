"""Operator actions on the Salesforce ⇄ FreshBooks flows (and any flow): resync one record,
replay dead letters, poll now. Management commands and admin actions are thin callers."""
from __future__ import annotations

from datetime import datetime

from .models import Binding, Connection, Flow, SyncItem
from .services import binding_resync, sync_item_enqueue, sync_item_replay, sync_items_replay


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


def dead_items(*, flow: Flow | None = None, since: datetime | None = None):
    items = SyncItem.objects.filter(status=SyncItem.Status.DEAD).select_related("flow")
    if flow is not None:
        items = items.filter(flow=flow)
    if since is not None:
        items = items.filter(finished_at__gte=since)
    return items.order_by("pk")


def dead_items_replay(*, flow: Flow | None = None, since: datetime | None = None, user=None) -> tuple[int, list[str]]:
    return sync_items_replay(items=list(dead_items(flow=flow, since=since)), user=user)


def conflict_resolve(*, item: SyncItem, choices: dict, user=None) -> tuple[SyncItem, str]:
    """Finance's pick per field ("source" or "target") for a held item, which then resumes."""
    fields = [c["field"] for c in ((item.result or {}).get("conflict") or {}).get("fields", [])]
    if item.status != SyncItem.Status.HELD or not fields:
        return item, f"Item {item.pk} is not waiting for a decision."
    missing = [f for f in fields if choices.get(f) not in ("source", "target")]
    if missing:
        return item, f"Choose a value for every field: {', '.join(missing)}."
    SyncItem.objects.filter(pk=item.pk).update(hint={**(item.hint or {}), "resolution": {f: choices[f] for f in fields},
                                                     "resolved_by": str(user) if user else "system"})
    item.refresh_from_db()
    item, message = sync_item_replay(item=item, user=user)
    return item, f"Decision saved. {message}"

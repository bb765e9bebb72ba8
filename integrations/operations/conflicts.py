"""A person's decision on a held conflict: the fields picked, then the item replayed."""
from __future__ import annotations

from integrations.models import SyncItem
from integrations.operations.replay import sync_item_replay


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



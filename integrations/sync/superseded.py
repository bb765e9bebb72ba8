"""A success resolves the older dead letters of the same record and flow, saying so.

Without it a dead letter stays dead after its record went through on a later item (a replay of
another item, a newer change), and the "dead letters" alert never clears.
"""
from __future__ import annotations

from django.utils import timezone

from integrations.models import ItemAction, SyncItem


def dead_letters_superseded_resolve(*, item: SyncItem) -> int:
    """Mark the unresolved dead letters older than ``item`` for its record and flow resolved."""
    older = SyncItem.objects.filter(identity_key=item.identity_key, status=SyncItem.Status.DEAD, resolution="",
                                    pk__lt=item.pk)
    now, note = timezone.now(), f"Resolved by the success of item {item.pk}."
    resolved = 0
    for pk in list(older.values_list("pk", flat=True)):
        resolved += SyncItem.objects.filter(pk=pk, status=SyncItem.Status.DEAD, resolution="").update(
            resolution=SyncItem.Resolution.RESOLVED, resolution_note=note, resolved_at=now, updated_at=now)
        ItemAction.objects.create(item_id=pk, action="resolved", detail=note, data={"by_item": item.pk})
    return resolved

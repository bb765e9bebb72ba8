"""Two entities found to be one real thing, made one.

Two flows can meet the same record from either end before either has committed: flow 2 creates a
FreshBooks invoice for an Opportunity (the deal) while a generic flow syncing FreshBooks invoices
reaches that invoice first and links it, with the record it wrote, to an entity of its own. When
the second flow then finds the record linked elsewhere, the two entities are one deal seen from two
sides — unless they hold two records of the same kind in one connection (two Opportunities for one
invoice): that is a duplicate, and a person decides (the caller's dead letter says so).
"""
from __future__ import annotations

import logging

from django.db import transaction

from integrations.errors import RetryableError
from integrations.models import Binding, Entity, EntityLink, SyncItem

logger = logging.getLogger(__name__)


def entities_mergeable(*, keep: Entity, other: Entity) -> bool:
    """Same kind, and no connection holds a record of the same type in both."""
    if keep.pk == other.pk:
        return True
    if keep.kind != other.kind:
        return False
    kept = set(Binding.objects.filter(entity=keep).values_list("connection_id", "object_type"))
    theirs = set(Binding.objects.filter(entity=other).values_list("connection_id", "object_type"))
    return not kept & theirs


def entity_merge(*, keep: Entity, other: Entity) -> bool:
    """Move ``other``'s bindings, items and chain links to ``keep`` and delete ``other``; False (nothing
    changed) when they are not mergeable. Both rows are locked first, in id order, so two workers merging
    the same pair wait for each other instead of moving bindings in opposite directions."""
    if keep.pk == other.pk:
        return True
    with transaction.atomic():
        locked = {e.pk: e for e in Entity.objects.select_for_update().filter(pk__in=[keep.pk, other.pk]).order_by("pk")}
        if len(locked) < 2:  # another worker merged one of them away while we waited: read again
            raise RetryableError("Another worker joined these records' entities at the same moment; retrying.")
        if not entities_mergeable(keep=locked[keep.pk], other=locked[other.pk]):
            return False
        keep, other = locked[keep.pk], locked[other.pk]
        other_id = other.pk  # delete() below clears it
        moved = Binding.objects.filter(entity=other).update(entity=keep)
        SyncItem.objects.filter(entity=other).update(entity=keep)
        _links_move(keep=keep, other=other)
        if not keep.label and other.label:
            keep.label = other.label
            keep.save(update_fields=["label"])
        other.delete()
    logger.info("Entity %s merged into entity %s (%s binding(s) moved): one %s met from two flows.",
                other_id, keep.pk, moved, keep.kind)
    return True


def _links_move(*, keep: Entity, other: Entity) -> None:
    """The deal-chain edges of ``other`` now start or end at ``keep``; an edge between the two goes away."""
    for link in EntityLink.objects.filter(from_entity=other) | EntityLink.objects.filter(to_entity=other):
        ends = (keep.pk if link.from_entity_id == other.pk else link.from_entity_id,
                keep.pk if link.to_entity_id == other.pk else link.to_entity_id)
        if ends[0] != ends[1]:
            EntityLink.objects.get_or_create(from_entity_id=ends[0], to_entity_id=ends[1], relation=link.relation)
        link.delete()

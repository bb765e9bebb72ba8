"""Name the entities the engine has not named yet ("Deal #4" → "Initrode — Opportunity 'Q4 licences'"):
rows made before labels existed, and those a batched backfill bound without a label. Each is named after
the newest record synced for it (its sync items' stored source snapshots), as the engine would have."""
from __future__ import annotations

from dataclasses import dataclass

from integrations.labels import entity_label_store, record_label
from integrations.models import Entity, SyncItem


@dataclass
class LabelReport:
    looked_at: int = 0
    named: int = 0

    def sentence(self) -> str:
        left = self.looked_at - self.named
        return (f"Named {self.named} of {self.looked_at} unnamed entities"
                + (f"; {left} hold no synced record with a name yet." if left else "."))


def entities_label_backfill(*, batch_size: int = 500) -> LabelReport:
    """Every unnamed entity, in id order and batches (a short read per batch, one UPDATE per entity named)."""
    report, after = LabelReport(), 0
    while True:
        batch = list(Entity.objects.filter(label="", pk__gt=after).order_by("pk")[:batch_size])
        if not batch:
            return report
        after = batch[-1].pk
        for entity in batch:
            report.looked_at += 1
            label_from = _newest_named(entity)
            if label_from is not None:
                entity_label_store(entity=entity, object_type=label_from.source_object,
                                   record=label_from.source_snapshot)
                report.named += 1


def _newest_named(entity: Entity) -> SyncItem | None:
    """The entity's newest item whose snapshot names its record (succeeded ones first)."""
    items = SyncItem.objects.filter(entity=entity).exclude(source_snapshot={}).only(
        "source_object", "source_snapshot", "status").order_by("-updated_at")[:20]
    ranked = sorted(items, key=lambda i: i.status != SyncItem.Status.SUCCEEDED)  # stable: newest first within
    return next((i for i in ranked if record_label(i.source_object, i.source_snapshot)), None)

"""Read-only queries over the core model."""
from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from integrations.models import Flow, SyncItem

S = SyncItem.Status


def flow_status_summary() -> list[dict]:
    """Per flow: counts by status, oldest open item's age in seconds, dead count."""
    now = timezone.now()
    counts = {
        (row["flow_id"], row["status"]): row["n"]
        for row in SyncItem.objects.values("flow_id", "status").annotate(n=Count("id"))
    }
    oldest = dict(
        SyncItem.objects.filter(status__in=[S.PENDING, S.RETRYING, S.RUNNING])
        .values("flow_id").annotate(first=Min("created_at")).values_list("flow_id", "first")
    )
    rows = []
    for flow in Flow.objects.order_by("name"):
        by_status = {status: counts.get((flow.pk, status), 0) for status in S.values}
        first = oldest.get(flow.pk)
        rows.append({
            "flow": flow.name,
            "enabled": flow.enabled,
            "counts": by_status,
            "oldest_open_age_seconds": int((now - first).total_seconds()) if first else None,
            "dead": by_status[S.DEAD],
        })
    return rows


def dead_letter_count(*, flow: Flow | None = None) -> int:
    qs = SyncItem.objects.filter(status=S.DEAD)
    return qs.filter(flow=flow).count() if flow else qs.count()

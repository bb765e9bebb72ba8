"""Read-only queries over the core model."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from integrations.models import ClusterHeartbeat, Flow, SyncItem

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


def cluster_heartbeat_status(*, now=None) -> dict:
    """The worker clusters as their supervisors last reported them (models.ClusterHeartbeat),
    for /readyz: ``{"state", "last_progress_at", "waiting", "detail"}``.

    state: "ok" (a supervisor reported within 3 heartbeats and its cluster is not wedged),
    "wedged" (every reporting cluster is wedged and being restarted), "down" (no supervisor
    reported lately: none runs, or the database kept it from writing). ``waiting``: tasks taken
    from the broker and not started, summed over the reporting clusters.
    """
    now = now or timezone.now()
    fresh_after = now - timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS)
    rows = list(ClusterHeartbeat.objects.exclude(state=ClusterHeartbeat.State.STOPPED).filter(beat_at__gte=fresh_after))
    progress = [r.last_progress_at for r in rows if r.last_progress_at]
    result = {"last_progress_at": max(progress, default=None), "waiting": sum(r.waiting for r in rows)}
    if not rows:
        last = ClusterHeartbeat.objects.order_by("-beat_at").first()
        seen = f"last heartbeat {last.beat_at:%Y-%m-%d %H:%M:%S} UTC ({last.state})" if last else "never"
        return {**result, "state": "down", "last_progress_at": last.last_progress_at if last else None,
                "detail": f"no worker supervisor reported in the last {3 * settings.WORKER_HEARTBEAT_SECONDS:.0f} s; {seen}"}
    wedged = [r for r in rows if r.state == ClusterHeartbeat.State.WEDGED]
    if len(wedged) == len(rows):
        return {**result, "state": "wedged", "detail": "; ".join(f"{r.name}: {r.detail}" for r in wedged)}
    ok = len(rows) - len(wedged)
    return {**result, "state": "ok", "detail": f"{ok} of {len(rows)} worker cluster(s) running"}

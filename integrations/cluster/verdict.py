"""When a supervised cluster is wedged: the one rule the supervisor restarts it by."""
from __future__ import annotations

from integrations.cluster.ledger import LedgerSnapshot


def cluster_wedged(snapshot: LedgerSnapshot, *, now: float, wedge_seconds: float) -> str | None:
    """Why the cluster is wedged, or None.

    Wedged = work is waiting inside the cluster (taken from the broker and not started, or
    finished with its result unsaved), no worker is running a task, and nothing started or
    finished for ``wedge_seconds`` since that work arrived. A cluster whose workers are all busy
    with long tasks is not wedged, nor is an idle one with nothing waiting.
    """
    if snapshot.busy or snapshot.oldest_waiting is None:
        return None
    stalled = now - max(snapshot.oldest_waiting, snapshot.last_progress or 0.0)
    if stalled < wedge_seconds:
        return None
    what = (f"{snapshot.waiting} task(s) taken from the broker and not started by any worker" if snapshot.waiting
            else f"{snapshot.unsaved} finished task(s) whose result the monitor did not save")
    return f"{what}; no worker busy and no task started or finished for {stalled:.0f} s"

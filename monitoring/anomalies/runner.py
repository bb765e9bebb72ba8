"""Run every anomaly check and record its findings (the scheduled job)."""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..findings import findings_sync
from ..refs import SUCCEEDED, engine_model
from . import baseline, duplicates
from .facts import business_facts
from .item_checks import ITEM_CHECKS

logger = logging.getLogger(__name__)

# check name → callable(now) -> (found, examined subjects or None); each owns its findings.
SET_CHECKS = {
    "baseline": (baseline.baseline_check, baseline.EXPLAIN),
    "duplicate_clients": (duplicates.duplicate_clients_check, duplicates.EXPLAIN),
}


def item_checks_run(*, now: datetime) -> dict[str, tuple[list, set]]:
    """Every item check over the items that succeeded within ANOMALY_LOOKBACK_HOURS."""
    SyncItem = engine_model("SyncItem")
    since = now - timedelta(hours=settings.ANOMALY_LOOKBACK_HOURS)
    found, examined = defaultdict(list), set()
    items = (SyncItem.objects.filter(status=SUCCEEDED, finished_at__gte=since)
             .select_related("flow", "flow__source_connection", "flow__target_connection"))
    for item in items.iterator(chunk_size=1000):
        facts = business_facts(item)
        if not facts:
            continue
        examined.add(f"item:{item.pk}")
        for name, (check, _) in ITEM_CHECKS.items():
            hit = check(item, facts)
            if hit is not None:
                found[name].append(hit)
    return {name: (found[name], examined) for name in ITEM_CHECKS}


def anomalies_run(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    results = {}
    for name, (found, examined) in item_checks_run(now=now).items():
        results[name] = findings_sync(check_name=name, found=found, examined=examined, now=now)
    for name, (check, _) in SET_CHECKS.items():
        try:
            found, examined = check(now=now)
        except Exception:  # one broken check must not stop the others
            logger.exception("Anomaly check %s failed", name)
            continue
        results[name] = findings_sync(check_name=name, found=found, examined=examined, now=now)
    return results


def check_explanations() -> list[tuple[str, str]]:
    """(check name, how it is computed) for every check, for the UI."""
    return [(n, e) for n, (_, e) in ITEM_CHECKS.items()] + [(n, e) for n, (_, e) in SET_CHECKS.items()]

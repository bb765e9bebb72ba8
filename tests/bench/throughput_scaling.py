"""Throughput scaling: Closed Won → invoice with 1, 2 and 4 worker processes on PostgreSQL + Redis,
sustained items per second, against the physical limit on this box (target ≥ 0.5× at 4 workers).

gunicorn (4 workers) serves both simulators. For each worker count a fresh set of deals is seeded
(3 lines each, their clients in FreshBooks), one `manage.py ledgerlink_worker` cluster with that many
workers is started on the Redis broker (REDIS_URL: BENCH_REDIS_URL), one warm-up item is run, then all
items are enqueued at once and the rate is items / (last finished − first enqueued).

The limit is measured in the same run, next to each cluster run: the exact HTTP requests one item
makes (recorded from an item run through the engine in this process) are replayed against the same
simulators under the same gunicorn by 1, 2 and 4 concurrent clients with no Ledgerlink engine
(tests/bench/bare_calls.py); one replayed sequence counts as one item. The limit is the best of
those rates; the target compares the 4-worker rate with it.
"""
from __future__ import annotations

import os
import tempfile
from collections import Counter
import time
from pathlib import Path

from integrations.models import Flow, SyncItem
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue
from tests.bench.bare_calls import calls_recorded, calls_replay
from tests.bench.deals import OPP_FLOW, connections_to, deals_seed, state_reset, webhooks_off
from tests.bench.servers import gunicorn
from tests.cluster import qcluster

ITEMS, GUNICORN_WORKERS = int(os.environ.get("BENCH_ITEMS") or 80), 4
WORKER_COUNTS = (1, 2, 4)
# The same 4-worker run once more on the "before" path: the Salesforce API usage stored after every
# call (SALESFORCE_API_USAGE_STORE_SECONDS=0), as it was before it was stored only when it moved.
OLD_PATH_ENV = {"SALESFORCE_API_USAGE_STORE_SECONDS": "0"}


def _wait_done(items, timeout: float) -> float:
    ids = [i.pk for i in items]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not SyncItem.objects.filter(pk__in=ids, status__in=[*SyncItem.OPEN_STATUSES, SyncItem.Status.RUNNING]).exists():
            return time.perf_counter()
        time.sleep(0.1)  # polling for completion
    raise RuntimeError(f"items not finished within {timeout:.0f} s")


def _calls_of_one_item(flow, opps) -> list:
    """The requests one item makes, recorded from the second of two items run here (the first
    fetches tokens and warms this process's caches)."""
    for opp in opps:
        item, _ = sync_item_enqueue(flow=flow, source_object="Opportunity", source_id=opp, dispatch=False)
        with calls_recorded() as calls:
            status = sync_item_process(item_id=item.pk)
        if status != SyncItem.Status.SUCCEEDED:
            raise RuntimeError(f"the recorded item did not succeed: {status}")
    return calls


def run(log) -> str:
    os.environ["REDIS_URL_TEST"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false", "SANDBOX_ENABLED": "true"}
    rows, before, calls = [], [], None
    with gunicorn(workers=GUNICORN_WORKERS, env_extra=env) as base:
        salesforce, freshbooks = connections_to(base)
        webhooks_off(freshbooks)
        Flow.objects.exclude(name=OPP_FLOW).update(enabled=False)
        flow = Flow.objects.get(name=OPP_FLOW)
        cluster_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "LEDGERLINK_PUBLIC_URL": base}
        for workers, old_path in [(w, False) for w in WORKER_COUNTS] + [(WORKER_COUNTS[-1], True)]:
            state_reset(freshbooks)
            opps = deals_seed(freshbooks=freshbooks, accounts=ITEMS + 3, opportunities=ITEMS + 3)
            # Recorded again each round: the records the calls name are this round's.
            calls = _calls_of_one_item(flow, opps[:2])
            bare, bare_failures = calls_replay(calls, sequences=ITEMS, clients=workers)
            log(f"throughput: bare calls, {workers} client(s): {bare:.1f} items/s ({bare_failures} non-2xx)")
            with tempfile.TemporaryDirectory() as tmp, \
                    qcluster(Path(tmp) / "cluster.log", broker="redis", workers=workers,
                             env_extra={**cluster_env, **(OLD_PATH_ENV if old_path else {})}):
                warm, _ = sync_item_enqueue(flow=flow, source_object="Opportunity", source_id=opps[2])
                _wait_done([warm], 120)
                started = time.perf_counter()
                items = [sync_item_enqueue(flow=flow, source_object="Opportunity", source_id=opp)[0] for opp in opps[3:]]
                finished = _wait_done(items, 600)
            done = SyncItem.objects.filter(pk__in=[i.pk for i in items], status=SyncItem.Status.SUCCEEDED).count()
            rate = done / (finished - started)
            log(f"throughput: {workers} worker(s){' (before)' if old_path else ''}: {rate:.1f} items/s "
                f"({done}/{len(items)} succeeded)")
            (before if old_path else rows).append((workers, rate, done, bare, bare_failures))
        Flow.objects.update(enabled=True)
    limit = max(r[3] for r in rows + before)
    at_four = rows[-1][1] / limit if limit else float("nan")
    table = "\n".join(f"| {w}{label} | {r:.1f} | {r / rows[0][1]:.2f}× | {b:.1f} | {r / b:.2f}× | {r / limit:.2f}× | "
                      f"{d}/{ITEMS} |" for label, group in (("", rows), (", before", before))
                      for w, r, d, b, _ in group)
    failures = sum(r[4] for r in rows + before)
    systems = Counter(c.url.split("/sandbox/")[1].split("/")[0] for c in calls if "/sandbox/" in c.url)
    hosts = [f"{n} to {name}" for name, n in sorted(systems.items())]
    log(f"throughput limit {limit:.1f} items/s ({len(calls)} calls each item)")
    return f"""
### Throughput scaling (`tests/bench/throughput_scaling.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… BENCH_REDIS_URL=redis://… python -m tests.bench
throughput_scaling`). gunicorn ({GUNICORN_WORKERS} workers) serves both simulators; one `ledgerlink_worker`
cluster on PostgreSQL + Redis with 1, 2, 4 workers; {ITEMS} Closed Won → invoice items enqueued at once
(3 lines each, their clients in FreshBooks); rate = items / (last finished − first enqueued).

The limit, measured side by side: before each cluster run, the {len(calls)} HTTP requests one item makes
({", ".join(hosts)}; recorded from an item the engine ran in the benchmark process) are replayed {ITEMS} times against the same
simulators under the same gunicorn by as many concurrent clients as the cluster has workers, with no
Ledgerlink engine ({failures} non-2xx answers). The limit is the best bare rate: **{limit:.1f} items/s**.
"4, before": the 4-worker run once more, right after, with the API usage stored after every Salesforce call
(SALESFORCE_API_USAGE_STORE_SECONDS=0), as before this change (the other removed read, the target system's name
for the success message, is not switchable).

| workers | items/s | vs 1 worker | bare calls, same concurrency (items/s) | vs bare, same concurrency | vs limit | succeeded |
|---|---|---|---|---|---|---|
{table}

Target ≥ 0.5× the limit at 4 workers: **{"met" if at_four >= 0.5 else "MISSED"}** ({at_four:.2f}×).
"""

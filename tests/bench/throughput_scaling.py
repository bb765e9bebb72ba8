"""Throughput scaling: Closed Won → invoice with 1, 2 and 4 worker processes on PostgreSQL + Redis,
sustained items per second, against the physical limit on this box (target ≥ 0.5× at 4 workers).

gunicorn (4 workers) serves both simulators. For each worker count a fresh set of deals is seeded
(3 lines each, their clients in FreshBooks), one `manage.py ledgerlink_worker` cluster with that many
workers is started on the Redis broker (REDIS_URL: BENCH_REDIS_URL), one warm-up item is run, then all
items are enqueued at once and the rate is items / (last finished − first enqueued).

The limit: the API calls each item needs (counted from the ApiCall rows of the 1-worker run) and the
time the simulators took to answer them (their duration, the 1-worker run: nothing else competing),
served by as many requests at once as the box can run (min(gunicorn workers, CPUs)).
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from integrations.models import Flow, SyncItem
from integrations.sync.items import sync_item_enqueue
from monitoring.models import ApiCall
from tests.bench.deals import OPP_FLOW, connections_to, deals_seed, state_reset, webhooks_off
from tests.bench.servers import gunicorn
from tests.cluster import qcluster

ITEMS, GUNICORN_WORKERS = 80, 4
WORKER_COUNTS = (1, 2, 4)


def _wait_done(items, timeout: float) -> float:
    ids = [i.pk for i in items]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not SyncItem.objects.filter(pk__in=ids, status__in=[*SyncItem.OPEN_STATUSES, SyncItem.Status.RUNNING]).exists():
            return time.perf_counter()
        time.sleep(0.1)  # polling for completion
    raise RuntimeError(f"items not finished within {timeout:.0f} s")


def run(log) -> str:
    os.environ["REDIS_URL_TEST"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false", "SANDBOX_ENABLED": "true"}
    rows, per_item = [], None
    with gunicorn(workers=GUNICORN_WORKERS, env_extra=env) as base:
        salesforce, freshbooks = connections_to(base)
        webhooks_off(freshbooks)
        Flow.objects.exclude(name=OPP_FLOW).update(enabled=False)
        flow = Flow.objects.get(name=OPP_FLOW)
        cluster_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "LEDGERLINK_PUBLIC_URL": base}
        for workers in WORKER_COUNTS:
            state_reset(freshbooks)
            opps = deals_seed(freshbooks=freshbooks, accounts=ITEMS + 1, opportunities=ITEMS + 1)
            with tempfile.TemporaryDirectory() as tmp, \
                    qcluster(Path(tmp) / "cluster.log", broker="redis", workers=workers, env_extra=cluster_env):
                warm, _ = sync_item_enqueue(flow=flow, source_object="Opportunity", source_id=opps[0])
                _wait_done([warm], 120)
                calls_from = ApiCall.objects.order_by("-pk").values_list("pk", flat=True).first()
                started = time.perf_counter()
                items = [sync_item_enqueue(flow=flow, source_object="Opportunity", source_id=opp)[0] for opp in opps[1:]]
                finished = _wait_done(items, 600)
            done = SyncItem.objects.filter(pk__in=[i.pk for i in items], status=SyncItem.Status.SUCCEEDED).count()
            rate = done / (finished - started)
            if per_item is None:
                calls = ApiCall.objects.filter(pk__gt=calls_from, sync_item_id__in=[i.pk for i in items])
                durations = list(calls.values_list("duration_ms", flat=True))
                per_item = (len(durations) / len(items), sum(durations) / 1000 / len(items),
                            statistics.median(durations) if durations else 0)
            log(f"throughput: {workers} worker(s): {rate:.1f} items/s ({done}/{len(items)} succeeded)")
            rows.append((workers, rate, done))
        Flow.objects.update(enabled=True)
    calls_per_item, api_seconds, median_ms = per_item
    parallel = min(GUNICORN_WORKERS, os.cpu_count() or 1)
    limit = parallel / api_seconds if api_seconds else float("nan")
    at_four = rows[-1][1] / limit if limit else float("nan")
    table = "\n".join(f"| {w} | {r:.1f} | {r / rows[0][1]:.2f}× | {r / limit:.2f}× | {d}/{ITEMS} |" for w, r, d in rows)
    log(f"throughput limit {limit:.1f} items/s ({calls_per_item:.1f} calls, {api_seconds * 1000:.0f} ms each item)")
    return f"""
### Throughput scaling (`tests/bench/throughput_scaling.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… BENCH_REDIS_URL=redis://… python -m tests.bench
throughput_scaling`). gunicorn ({GUNICORN_WORKERS} workers) serves both simulators; one `ledgerlink_worker`
cluster on PostgreSQL + Redis with 1, 2, 4 workers; {ITEMS} Closed Won → invoice items enqueued at once
(3 lines each, their clients in FreshBooks); rate = items / (last finished − first enqueued).

Limit on this box: each item needs {calls_per_item:.1f} API calls, which the simulators answered in
{api_seconds * 1000:.0f} ms in total (median call {median_ms:.0f} ms, 1-worker run); {parallel} served at once
(min(gunicorn workers, CPUs)) gives **{limit:.1f} items/s**. This is derived from measured call times, not a
separate load test of the bare calls.

| workers | items/s | vs 1 worker | vs limit | succeeded |
|---|---|---|---|---|
{table}

Target ≥ 0.5× the limit at 4 workers: **{"met" if at_four >= 0.5 else "MISSED"}** ({at_four:.2f}×).
"""

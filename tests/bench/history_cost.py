"""Cost as history grows: per-item SQL statements and p50 processing time of Closed Won → invoice with
10k and with 1M existing sync items, entities with two bindings each, and API-call rows (target:
statements equal, p50 within 20 %).

gunicorn (2 workers) serves both simulators; this process runs each item through the engine itself
(``sync_item_process``, as a worker does) and counts its statements (CaptureQueriesContext). The
history is written by PostgreSQL itself (tests/bench/history.py) and removed after.
"""
from __future__ import annotations

import os
import statistics
import time

from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations.models import Flow, SyncItem
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue
from tests.bench.deals import OPP_FLOW, connections_to, deals_seed, state_reset, webhooks_off
from tests.bench.history import history_add, history_remove
from tests.bench.servers import gunicorn

SIZES = (10_000, 1_000_000)
SAMPLE, WARM = 40, 5


def _measure(flow, opps) -> tuple[list[int], list[float], int]:
    statements, seconds, failed = [], [], 0
    for n, opp in enumerate(opps):
        item, _ = sync_item_enqueue(flow=flow, source_object="Opportunity", source_id=opp, dispatch=False)
        with CaptureQueriesContext(db) as queries:
            started = time.perf_counter()
            status = sync_item_process(item_id=item.pk)
            took = time.perf_counter() - started
        failed += status != SyncItem.Status.SUCCEEDED
        if n >= WARM:  # the first items warm the caches (tokens, mappings) of this process
            statements.append(len(queries))
            seconds.append(took)
    return statements, seconds, failed


def run(log) -> str:
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false", "SANDBOX_ENABLED": "true"}
    sizes = [int(s) for s in os.environ.get("BENCH_HISTORY_SIZES", "").split(",") if s] or list(SIZES)
    rows = []
    with gunicorn(workers=2, env_extra=env) as base:
        salesforce, freshbooks = connections_to(base)
        webhooks_off(freshbooks)
        Flow.objects.exclude(name=OPP_FLOW).update(enabled=False)
        flow = Flow.objects.select_related("source_connection", "target_connection").get(name=OPP_FLOW)
        try:
            for size in sizes:
                history_remove()
                state_reset(freshbooks)
                started = time.perf_counter()
                history_add(rows=size, flow=flow)
                seeded = time.perf_counter() - started
                opps = deals_seed(freshbooks=freshbooks, accounts=SAMPLE + WARM, opportunities=SAMPLE + WARM)
                statements, seconds, failed = _measure(flow, opps)
                p50 = statistics.median(seconds) * 1000
                row = (size, seeded, statistics.median(statements), min(statements), max(statements), p50, failed)
                log(f"history {size}: seeded in {seeded:.0f} s, statements/item median {row[2]} "
                    f"(min {row[3]}, max {row[4]}), p50 {p50:.0f} ms, failed {failed}")
                rows.append(row)
        finally:
            history_remove()
        Flow.objects.update(enabled=True)
    small, large = rows[0], rows[-1]
    same = small[2] == large[2]
    within = large[5] <= small[5] * 1.2
    table = "\n".join(f"| {r[0]:,} | {r[1]:.0f} s | {r[2]:g} ({r[3]}–{r[4]}) | {r[5]:.0f} ms | {r[6]} |" for r in rows)
    return f"""
### Cost as history grows (`tests/bench/history_cost.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… python -m tests.bench history_cost`).
gunicorn (2 workers) serves both simulators; the benchmark process runs {SAMPLE} Closed Won → invoice items
(3 lines each, their clients in FreshBooks) through the engine one after another, after {WARM} warm-up items,
with N finished sync items, N entities with two bindings each and N API-call rows already stored
(history written by PostgreSQL with INSERT … SELECT generate_series).

| history rows (each kind) | history written in | SQL statements per item, median (min–max) | p50 per item | not succeeded |
|---|---|---|---|---|
{table}

Targets: statements equal — **{"met" if same else "MISSED"}**; p50 within 20 % — **{"met" if within else "MISSED"}**
({large[5] / small[5]:.2f}× at {large[0]:,} against {small[0]:,}).
"""

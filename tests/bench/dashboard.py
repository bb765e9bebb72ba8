"""Dashboard load at 1,000,000 SyncItems and 5,000,000 ApiCalls on PostgreSQL (target: < 1 s).

The rows are seeded with generate_series (seconds, not hours), spread over the last 30 days
with realistic mixes: 94% succeeded, 2% dead, 1% skipped, 2% retrying, 1% pending; one
failed attempt per tenth item; API calls over five systems, 2% errors. The rollups are then
built the way the scheduled job builds them (first a backfill, then a one-minute run), and
the dashboard page is requested through Django for each window, as a logged-in admin.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from integrations.models import Connection, Flow, SyncItem
from monitoring.models import ApiCall, ApiHourStat, FlowHourStat, RollupState
from monitoring.rollups import metrics_rollup

ITEMS, CALLS, DAYS = 1_000_000, 5_000_000, 30
SYSTEMS = ["salesforce", "freshbooks", "infor", "shopify", "woocommerce"]
RUNS = 7


def _timed(fn: Callable) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def seed(log) -> None:
    if SyncItem.objects.count() == ITEMS and ApiCall.objects.count() == CALLS:
        log("bench data already seeded")
        return
    log("seeding 1,000,000 sync items and 5,000,000 API calls…")
    with connection.cursor() as cur:
        cur.execute("TRUNCATE integrations_syncitem, monitoring_syncattempt, monitoring_apicall, monitoring_flowhourstat, "
                    "monitoring_apihourstat, monitoring_rollupstate CASCADE")
    connections = []
    for system in SYSTEMS:
        c, _ = Connection.objects.get_or_create(name=f"bench-{system}", defaults={"system": system, "token_state": "valid"})
        connections.append(c)
    Connection.objects.filter(name="bench-salesforce").update(api_usage={"api-usage": "41000/100000"})
    flows = []
    for n in range(8):
        f, _ = Flow.objects.get_or_create(name=f"bench-flow-{n}", defaults={
            "kind": "bench", "source_connection": connections[n % 5], "source_object": "Object",
            "target_connection": connections[(n + 1) % 5], "target_object": "Target"})
        flows.append(f.pk)
    conn_ids = [c.pk for c in connections]
    span = DAYS * 86400.0
    with connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO integrations_syncitem (flow_id, identity_key, source_object, source_id, action, status, attempts,
                next_attempt_at, step, hint, source_snapshot, mapped_payload, result, target_external_id, last_error_class,
                last_error, last_error_field, received_at, created_at, updated_at, finished_at)
            SELECT (ARRAY{flows})[1 + i % 8], 'bench:' || i, 'Object', i::text, 'upsert',
                   s.status, 1, t, '', '{{}}', '{{}}', '{{}}', '{{}}', '', '', '', '', t, t, t,
                   CASE WHEN s.status IN ('succeeded', 'dead', 'skipped') THEN t + ((i % 600) || ' seconds')::interval END
            FROM generate_series(1, {ITEMS}) AS i,
                 LATERAL (SELECT now() - ((i * {span} / {ITEMS}) || ' seconds')::interval AS t) AS ts,
                 LATERAL (SELECT CASE WHEN i % 100 < 94 THEN 'succeeded' WHEN i % 100 < 96 THEN 'dead'
                                      WHEN i % 100 < 97 THEN 'skipped' WHEN i % 100 < 99 THEN 'retrying'
                                      ELSE 'pending' END AS status) AS s""")
        cur.execute("""
            INSERT INTO monitoring_syncattempt (sync_item_id, number, started_at, finished_at, duration_ms, outcome, step,
                error_class, message, task_id, worker)
            SELECT id, 1, created_at, created_at, 200, 'retrying', 'create', 'RetryableError', 'timed out', '', ''
            FROM integrations_syncitem WHERE id % 10 = 0""")
        cur.execute(f"""
            INSERT INTO monitoring_apicall (connection_id, system, operation, method, path, status_code, duration_ms,
                record_count, error, created_at)
            SELECT (ARRAY{conn_ids})[1 + i % 5], (ARRAY{SYSTEMS!r}::text[])[1 + i % 5], 'bench.op', 'GET', '/bench',
                   CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END, 50 + i % 400, 1, '',
                   now() - ((i * {span} / {CALLS}) || ' seconds')::interval
            FROM generate_series(1, {CALLS}) AS i""")
        cur.execute("ANALYZE")


def run(log) -> str:
    seed(log)
    now = timezone.now()
    RollupState.objects.all().delete()
    backfill = _timed(lambda: metrics_rollup(now=now))
    minute = _timed(lambda: metrics_rollup(now=now + timedelta(minutes=1)))
    log(f"rollup backfill {backfill:.1f} s, steady run {minute:.2f} s")
    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_superuser(
        "bench", "bench@example.com", "bench-password")
    client = Client()
    client.force_login(user)
    rows = []
    for window in ("1h", "24h", "7d"):
        client.get(f"/monitoring/dashboard/?window={window}")  # warm-up (connection, templates)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(f"/monitoring/dashboard/?window={window}")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
        rows.append((window, statistics.median(times), max(times)))
        log(f"dashboard {window}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    counts = (SyncItem.objects.count(), ApiCall.objects.count(), FlowHourStat.objects.count(), ApiHourStat.objects.count())
    verdict = "meets" if all(m < 1.0 for _, _, m in rows) else "MISSES"
    table = "\n".join(f"| {w} | {med * 1000:.0f} ms | {mx * 1000:.0f} ms |" for w, med, mx in rows)
    return f"""
### Dashboard load (`tests/bench/dashboard.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… python -m tests.bench dashboard`).
Data: {counts[0]:,} SyncItems and {counts[1]:,} ApiCalls over {DAYS} days, 8 flows, 5 connections;
rollups: {counts[2]:,} flow-hour and {counts[3]:,} API-hour rows. Full page GET `/monitoring/dashboard/`
through Django as a logged-in admin, {RUNS} runs after a warm-up.

| window | median | max |
|---|---|---|
{table}

Target < 1 s per load: **{verdict}** it. Rollups: first backfill (35 days) {backfill:.1f} s; the every-minute run {minute:.2f} s.
"""

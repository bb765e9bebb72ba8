"""Salesforce commit → InboundEvent stored, through the Pub/Sub API (target: p95 < 200 ms).

gunicorn serves Ledgerlink and the simulators (OAuth); the simulator's gRPC server
(``sandbox_pubsub_serve``) and our subscriber (``salesforce_subscribe``) run as processes. 500
Account changes are committed at a steady pace as a Salesforce user would make them; each
latency runs from that change's commit to its InboundEvent's row (``received_at``), both on
this machine's clock.
"""
from __future__ import annotations

import os
import statistics
import time
from datetime import datetime, timezone as dt_timezone

from integrations.models import InboundEvent
from integrations.sandbox.salesforce.context import WriteContext, write_context_use
from integrations.sandbox.salesforce.org import integration_user
from integrations.sandbox.salesforce.writes import record_create, record_update
from tests.bench.deals import connections_to
from tests.bench.pubsub import pubsub_stack
from tests.bench.servers import gunicorn

EVENTS, ACCOUNTS, RATE = 500, 50, 25.0  # changes per second


def _as_user(action):
    with write_context_use(WriteContext(user_id=integration_user().sf_id)):
        return action()


def run(log) -> str:
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false", "SANDBOX_ENABLED": "true"}
    with gunicorn(workers=2, env_extra=env) as base:
        salesforce, _ = connections_to(base)
        accounts = [_as_user(lambda n=n: record_create("Account", {"Name": f"Pub/Sub bench {n}"}))
                    for n in range(ACCOUNTS)]
        run_tag = f"{time.time_ns() % 10**9}"
        committed: dict[str, datetime] = {}
        with pubsub_stack(salesforce, base=base, env_extra=env):
            start = time.perf_counter()
            for i in range(EVENTS):
                delay = start + i / RATE - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # pacing the changes, not waiting for results
                phone = f"{run_tag}-{i}"
                _as_user(lambda i=i, phone=phone: record_update("Account", accounts[i % ACCOUNTS], {"Phone": phone}))
                committed[phone] = datetime.now(dt_timezone.utc)
            deadline = time.monotonic() + 120
            received: dict[str, datetime] = {}
            while time.monotonic() < deadline and len(received) < EVENTS:
                time.sleep(0.5)
                received = {e.payload.get("fields", {}).get("Phone"): e.received_at for e in InboundEvent.objects.filter(
                    connection=salesforce, object_type="Account", payload__fields__Phone__startswith=run_tag)}
    latencies = sorted((received[p] - committed[p]).total_seconds() * 1000 for p in committed if p in received)
    missing = EVENTS - len(latencies)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    top = max(latencies or [0])
    log(f"commit → InboundEvent via Pub/Sub: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {top:.0f} ms, missing {missing}")
    verdict = "meets" if p95 < 200 and not missing else "MISSES"
    return f"""
### Salesforce commit → InboundEvent via Pub/Sub (`tests/bench/pubsub_intake.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… python -m tests.bench pubsub_intake`).
The simulator's gRPC server (`manage.py sandbox_pubsub_serve`) and the subscriber (`manage.py salesforce_subscribe`)
as processes, gunicorn (2 workers) for OAuth; {EVENTS} Account changes ({ACCOUNTS} Accounts) committed at
{RATE:.0f} per second as a Salesforce user; latency = the InboundEvent row's `received_at` − the change's commit.

| changes | p50 | p95 | max | not stored within 2 min |
|---|---|---|---|---|
| {EVENTS} | {p50:.0f} ms | {p95:.0f} ms | {top:.0f} ms | {missing} |

Target p95 < 200 ms: **{verdict}** it.
"""

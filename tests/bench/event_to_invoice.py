"""Change event → invoice created, with a running cluster (target: p95 < 3 s, zero simulator latency;
via Pub/Sub: p95 < 1 s).

gunicorn serves Ledgerlink and both simulators; a real django-q2 cluster (2 workers) delivers
the Salesforce simulator's change events to our receiver and runs the sync items (``run``), or
the simulator's gRPC server and our subscriber bring them in with the relay off (``run_pubsub``). 500
Opportunities (3 lines each, their clients in FreshBooks) are set to Closed Won one by one at
a steady pace; each latency runs from that change's commit to the invoice's creation in the
FreshBooks simulator (both stamped by the same clock).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import datetime, timezone as dt_timezone

from django_q.models import OrmQ

from integrations.models import Flow, RouteWakeup, SyncItem
from integrations.sandbox.freshbooks.models import SimCallback, SimObject
from integrations.sandbox.salesforce.context import WriteContext, write_context_use
from integrations.sandbox.salesforce.models import SfSubscription
from integrations.sandbox.salesforce.org import integration_user
from integrations.sandbox.salesforce.writes import record_update
from tests.bench.deals import OPP_FLOW, connections_to, deals_seed, state_reset
from tests.bench.pubsub import pubsub_stack
from tests.bench.servers import ROOT, gunicorn
from tests.processes import process_group_stop

EVENTS, ACCOUNTS, RATE = 500, 100, 4.0  # changes per second


def _invoices_created() -> dict[str, datetime]:
    return {o.data.get("po_number"): o.created_at for o in SimObject.objects.filter(kind="invoice")
            if o.data.get("po_number")}


def run(log) -> str:
    return _measure(log, pubsub=False)


def run_pubsub(log) -> str:
    return _measure(log, pubsub=True)


def _measure(log, *, pubsub: bool) -> str:
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false", "SANDBOX_ENABLED": "true"}
    with gunicorn(workers=3, env_extra=env) as base:
        salesforce, freshbooks = connections_to(base)
        state_reset(freshbooks)
        SimCallback.objects.all().delete()  # FreshBooks webhooks off: this measures Salesforce → FreshBooks
        SfSubscription.objects.update(active=True)
        Flow.objects.exclude(name=OPP_FLOW).update(enabled=False)
        OrmQ.objects.all().delete()  # start from an empty queue: no other benchmark's backlog
        RouteWakeup.objects.update(queued=False, queued_at=None)  # their route tasks were just deleted
        opps = deals_seed(freshbooks=freshbooks, accounts=ACCOUNTS, opportunities=EVENTS, stage="Prospecting")
        cluster = subprocess.Popen([sys.executable, "manage.py", "ledgerlink_worker"], cwd=ROOT, start_new_session=True,
                                   env={**os.environ, **env, "LEDGERLINK_PUBLIC_URL": base, "Q_WORKERS": "2",
                                        "Q_POLL": "0.1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        changed: dict[str, datetime] = {}
        try:
            with pubsub_stack(salesforce, base=base, env_extra=env) if pubsub else nullcontext():
                time.sleep(3)  # the cluster's start-up, before the clock starts
                start = time.perf_counter()
                for i, opp in enumerate(opps):
                    delay = start + i / RATE - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)  # pacing the changes, not waiting for results
                    with write_context_use(WriteContext(user_id=integration_user().sf_id)):
                        record_update("Opportunity", opp, {"StageName": "Closed Won"})
                    changed[opp] = datetime.now(dt_timezone.utc)
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline and len(_invoices_created().keys() & changed.keys()) < EVENTS:
                    time.sleep(0.5)
        finally:
            process_group_stop(cluster)
        Flow.objects.update(enabled=True)
    created = _invoices_created()
    latencies = sorted((created[o] - changed[o]).total_seconds() for o in opps if o in created)
    missing = EVENTS - len(latencies)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    dead = SyncItem.objects.filter(flow__name=OPP_FLOW, status="dead").count()
    target = 1 if pubsub else 3
    log(f"event → invoice{' via Pub/Sub' if pubsub else ''}: p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(latencies or [0]):.2f} s, missing {missing}")
    verdict = "meets" if p95 < target and not missing else "MISSES"
    if pubsub:
        title, name = "Closed Won → invoice created via Pub/Sub", "event_to_invoice_pubsub"
        way = ("the simulator's gRPC server (`sandbox_pubsub_serve`) and `manage.py salesforce_subscribe` bring the "
               "change events in (the HTTP relay off); `manage.py ledgerlink_worker` (2 workers) runs the items.")
    else:
        title, name = "Change event → invoice created", "event_to_invoice"
        way = ("`manage.py ledgerlink_worker` (2 workers) delivers the Salesforce simulator's change events to "
               "`/api/webhooks/salesforce/<id>/` and runs the items.")
    return f"""
### {title} (`tests/bench/event_to_invoice.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… python -m tests.bench {name}`).
gunicorn (3 workers) serves Ledgerlink and both simulators (no injected latency); {way}
{EVENTS} Opportunities (3 lines each; {ACCOUNTS} Accounts whose FreshBooks clients exist) set to Closed Won at
{RATE:.0f} per second; latency = invoice created in the FreshBooks simulator − the stage change's commit.

| events | p50 | p95 | max | not invoiced within 5 min | dead items |
|---|---|---|---|---|---|
| {EVENTS} | {p50:.2f} s | {p95:.2f} s | {max(latencies or [0]):.2f} s | {missing} | {dead} |

Target p95 < {target} s: **{verdict}** it.
"""

"""Backfill of 10,000 Closed Won Opportunities (3 line items each) from the Salesforce simulator
into the FreshBooks simulator, clients already there (targets: Salesforce calls per
Opportunity ≤ 0.02, FreshBooks ≤ 2.1, peak RSS < 400 MB).

The simulators run in their own gunicorn process; `manage.py backfill` runs as a separate
process, so its wall time and peak RSS (wait4) are the backfill's alone. API calls are counted
from the ApiCall log of the run.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from django.utils import timezone

from integrations.models import SyncItem
from monitoring.models import ApiCall
from tests.bench.deals import OPP_FLOW, connections_to, deals_seed, state_reset, webhooks_off
from tests.bench.servers import ROOT, gunicorn

OPPORTUNITIES, ACCOUNTS, LINES = 10_000, 500, 3


def run(log) -> str:
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false", "SANDBOX_ENABLED": "true"}
    with gunicorn(workers=2, env_extra=env) as base:
        salesforce, freshbooks = connections_to(base)
        state_reset(freshbooks)
        webhooks_off(freshbooks)
        log(f"seeding {OPPORTUNITIES:,} Closed Won Opportunities × {LINES} lines, {ACCOUNTS} Accounts with clients…")
        deals_seed(freshbooks=freshbooks, accounts=ACCOUNTS, opportunities=OPPORTUNITIES, lines=LINES)
        started = timezone.now()
        cmd = [sys.executable, "manage.py", "backfill", "--flow", OPP_FLOW]
        wall = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env, "LEDGERLINK_PUBLIC_URL": base},
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - wall
        out = process.stdout.read().strip().splitlines()
    summary = out[-1] if out else "(no output)"
    calls = {system: ApiCall.objects.filter(created_at__gte=started, system=system).count()
             for system in ("salesforce", "freshbooks")}
    done = SyncItem.objects.filter(flow__name=OPP_FLOW, created_at__gte=started, status="succeeded").count()
    rss_mb = usage.ru_maxrss / 1024
    per = {k: v / OPPORTUNITIES for k, v in calls.items()}
    log(f"backfill {wall:.0f} s, {summary}; calls {calls}; peak RSS {rss_mb:.0f} MB; exit {status}")
    checks = [("Salesforce calls per Opportunity ≤ 0.02", per["salesforce"] <= 0.02, f"{per['salesforce']:.4f} "
               f"({calls['salesforce']} calls)"),
              ("FreshBooks calls per Opportunity ≤ 2.1", per["freshbooks"] <= 2.1, f"{per['freshbooks']:.3f} "
               f"({calls['freshbooks']} calls)"),
              ("peak RSS < 400 MB", rss_mb < 400, f"{rss_mb:.0f} MB"),
              ("every Opportunity invoiced once", done == OPPORTUNITIES, f"{done:,} succeeded items")]
    table = "\n".join(f"| {name} | {value} | {'meets' if ok else 'MISSES'} |" for name, ok, value in checks)
    return f"""
### Backfill of {OPPORTUNITIES:,} Closed Won Opportunities (`tests/bench/backfill_opportunities.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… python -m tests.bench backfill_opportunities`), which runs
`manage.py backfill --flow {OPP_FLOW}` as its own process against both simulators served by gunicorn (2 workers) on
the same machine. {LINES} line items per Opportunity, {ACCOUNTS} Accounts whose FreshBooks clients exist; invoices
created as drafts (no mark-as-sent call).

Wall time **{wall:.0f} s** ({OPPORTUNITIES / wall:.0f} Opportunities/s, simulators included). Summary printed: `{summary}`.

| target | measured | verdict |
|---|---|---|
{table}
"""

"""Webhook intake on PostgreSQL behind gunicorn: signed FreshBooks deliveries against a trivial
Django view on the same server in the same run (target (issue 17): ≥ 0.9× its throughput; p99 < 20 ms at
200 requests/s; 0 errors).

Each delivery is a new event (distinct object ids): verified (HMAC over the form parameters),
stored and deduplicated (one INSERT … ON CONFLICT, committed) and its routing made sure of
(the connection's route flag) before the 200 — what the receiver promises. Routing to the flow
and queueing the SyncItem is a worker's job (integrations.triggers.intake); after the load, this
benchmark runs that job over everything received and reports its rate too.
"""
from __future__ import annotations

import os
import time
from urllib.parse import urlencode

from django.db import connection as connection_db

from integrations.connectors.freshbooks.webhooks import SIGNATURE_HEADER, signature_compute
from integrations.sync.routing import inbound_events_route_pending
from integrations.models import Connection, Flow, InboundEvent, SyncItem
from tests.bench.old_path import OLD_PATH_HEADER
from tests.bench.servers import gunicorn, load

VERIFIER = "bench-verifier-0123456789abcdefghij"
ACCOUNT = "BENCH1"
# The production line in the README (`gunicorn config.wsgi -w 5`): sync workers; BENCH_INTAKE_SERVER="W×T"
# (e.g. "2x8") measures another gunicorn shape, both sides alike.
WORKERS, THREADS = (int(n) for n in os.environ.get("BENCH_INTAKE_SERVER", "5x1").lower().replace("×", "x").split("x"))
REQUESTS, CONCURRENCY = 5000, 16
RATE, RATE_SECONDS = 200, 15


def setup() -> Connection:
    fb, _ = Connection.objects.get_or_create(name="bench-intake-freshbooks", defaults={"system": "freshbooks"})
    fb.settings = {"account_id": ACCOUNT, "webhook_dedupe_seconds": 10}
    fb.set_secrets(webhook_verifiers={"1": VERIFIER})
    fb.save()
    sf, _ = Connection.objects.get_or_create(name="bench-intake-salesforce", defaults={"system": "salesforce"})
    Flow.objects.update_or_create(name="bench-intake-payments", defaults=dict(
        kind="freshbooks-payment-to-salesforce-opportunity", source_connection=fb, source_object="payment",
        target_connection=sf, target_object="Opportunity", enabled=True))
    return fb


def cleanup() -> None:
    """Leave no backlog for the next benchmark: the queued tasks, items and events this one made."""
    from django_q.models import OrmQ

    OrmQ.objects.all().delete()
    SyncItem.objects.filter(flow__name="bench-intake-payments").delete()
    InboundEvent.objects.filter(connection__name="bench-intake-freshbooks").delete()


def delivery(run: str, i: int) -> tuple[bytes, dict]:
    params = [("name", "payment.create"), ("object_id", f"{run}{i}"), ("account_id", ACCOUNT),
              ("business_id", "1"), ("identity_id", "1"), ("user_id", "1")]
    body = urlencode(params).encode()
    return body, {"Content-Type": "application/x-www-form-urlencoded",
                  SIGNATURE_HEADER: signature_compute(VERIFIER, params)}


def run(log) -> str:
    connection = setup()
    url_path = f"/api/webhooks/freshbooks/{connection.pk}/"
    events_before, items_before = InboundEvent.objects.count(), SyncItem.objects.count()
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false", "SANDBOX_ENABLED": "false"}
    rows = []
    with gunicorn(workers=WORKERS, threads=THREADS, env_extra=env) as base:
        def trivial(session, i):
            return session.post(base + "/bench/trivial/", data=b"x", timeout=10)

        def webhook(tag, total, *, old_path=False):
            # Signed up front: signing is the sender's work, not the receiver's, and the load
            # generator shares the two cores with the server.
            deliveries = [delivery(tag, i) for i in range(total)]
            if old_path:
                deliveries = [(body, {**headers, OLD_PATH_HEADER: "1"}) for body, headers in deliveries]

            def send(session, i):
                body, headers = deliveries[i]
                return session.post(base + url_path, data=body, headers=headers, timeout=10)
            return send

        load(trivial, total=300, concurrency=CONCURRENCY)  # warm-up: connections, imports
        load(webhook("w", 300), total=300, concurrency=CONCURRENCY)
        baseline = load(trivial, total=REQUESTS, concurrency=CONCURRENCY)
        intake = load(webhook("m", REQUESTS), total=REQUESTS, concurrency=CONCURRENCY)
        before = load(webhook("o", REQUESTS, old_path=True), total=REQUESTS, concurrency=CONCURRENCY)
        # The paced run starts from a flushed database: its p99 is about a steady 200/s, not about
        # the checkpoint the burst above leaves PostgreSQL to write.
        with connection_db.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        paced = load(webhook("r", RATE * RATE_SECONDS), total=RATE * RATE_SECONDS, concurrency=32, rate=RATE)
        rows = [baseline.row("trivial view, max throughput"), intake.row("signed FreshBooks delivery, max throughput"),
                before.row("the same, before (`SELECT 1` up front), max throughput"),
                paced.row(f"signed FreshBooks delivery, {RATE}/s for {RATE_SECONDS} s")]
    stored = InboundEvent.objects.count() - events_before
    started = time.perf_counter()
    routed = inbound_events_route_pending(connection_id=connection.pk)  # what the route tasks run
    routing_seconds = time.perf_counter() - started
    queued = SyncItem.objects.count() - items_before
    cleanup()
    ratio = intake.rps / baseline.rps if baseline.rps else 0
    ratio_before = before.rps / baseline.rps if baseline.rps else 0
    log(f"intake {intake.rps:.0f}/s vs trivial {baseline.rps:.0f}/s (ratio {ratio:.2f}; before {ratio_before:.2f}); "
        f"paced p99 {paced.pct(99):.1f} ms, errors {paced.errors}")
    verdicts = [("throughput ≥ 0.9× the trivial view", ratio >= 0.9, f"{ratio:.2f}× (before: {ratio_before:.2f}×)"),
                (f"p99 < 20 ms at {RATE}/s", paced.pct(99) < 20, f"{paced.pct(99):.1f} ms"),
                ("0 errors", intake.errors + paced.errors == 0, str(intake.errors + paced.errors))]
    verdict_rows = "\n".join(f"| {name} | {value} | {'meets' if ok else 'MISSES'} |" for name, ok, value in verdicts)
    return f"""
### Webhook intake (`tests/bench/webhook_intake.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… python -m tests.bench webhook_intake`).
gunicorn, {WORKERS} workers × {THREADS} thread{"s" if THREADS > 1 else " (sync workers, as in the README's production line)"},
PostgreSQL, load generator on the same 2-core machine ({CONCURRENCY} client threads for max throughput, {REQUESTS:,} requests per side, the trivial view first; then a `CHECKPOINT` and the paced run,
on an open-loop schedule, latency counted from each request's due time).
Each delivery: form-encoded, `X-FreshBooks-Hmac-SHA256`-signed (signed before the run: signing is the sender's work),
a new event stored (one `INSERT … ON CONFLICT`) and its connection's route flag checked before the 200; the INSERT
is also the check that the reused database connection is alive. "Before": the same deliveries on the same server
right after, each with a header that makes a bench-only middleware run Django's up-front `SELECT 1` health check
(CONN_HEALTH_CHECKS), as every delivery did before. Routing is a
worker's job: afterwards one process routed the {routed:,} events received ({stored:,} stored) to their flow in
{routing_seconds:.1f} s ({routed / routing_seconds if routing_seconds else 0:.0f} events/s, items and task rows inserted per batch:
{queued:,} items queued).

| load | requests | req/s | p50 | p99 | errors |
|---|---|---|---|---|---|
{chr(10).join(rows)}

| target | measured | verdict |
|---|---|---|
{verdict_rows}
"""

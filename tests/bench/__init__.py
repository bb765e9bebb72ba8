"""Benchmarks run by `make bench` (python -m tests.bench [name ...]).

An explicit registry: name → dotted path of a callable(report) that measures and returns a
Markdown section; the runner appends every section to BENCHMARKS.md. Benchmarks run on
PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/ledgerlink_bench),
never on the development database.
"""
BENCHMARKS: dict[str, str] = {
    "dashboard": "tests.bench.dashboard.run",
    "webhook_intake": "tests.bench.webhook_intake.run",
    "routing": "tests.bench.routing.run",
    "backfill_opportunities": "tests.bench.backfill_opportunities.run",
    "event_to_invoice": "tests.bench.event_to_invoice.run",
    "timely_retries": "tests.bench.timely_retries.run",
    "pubsub_intake": "tests.bench.pubsub_intake.run",
    "event_to_invoice_pubsub": "tests.bench.event_to_invoice.run_pubsub",
    "self_healing": "tests.bench.self_healing.run",
    "throughput_scaling": "tests.bench.throughput_scaling.run",
    "history_cost": "tests.bench.history_cost.run",
}

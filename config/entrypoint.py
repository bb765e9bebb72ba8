"""The container's entry point (the Dockerfile's ENTRYPOINT): ``python -m config.entrypoint ROLE [ARGS…]``.

    web          migrate and set up (admin user, schedules), then gunicorn on WEB_BIND
    worker       wait until the database is migrated, then a worker cluster (manage.py ledgerlink_worker)
    subscriber   wait until the database is migrated, then the Salesforce Pub/Sub subscriber
    migrate      migrate and set up, then exit (a one-off job, when web runs with MIGRATE_ON_START=false)
    probe CHECK  exit 0 when /readyz's CHECK passes (cluster, subscriber, …): a container healthcheck
    manage ARGS  any manage.py command

Only ``web`` (or ``migrate``) migrates, so two containers never race on a schema change; the others
wait for it (up to MIGRATIONS_WAIT_SECONDS). Each long-running role replaces this process with its
server (exec), so the container's stop signal reaches gunicorn, the cluster or the subscriber
directly, and each stops as it does on a terminal.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _exec(*argv: str) -> None:
    from django.db import connections

    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, *argv])


def migrate_and_set_up() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    call_command("ledgerlink_setup", no_demo=True)  # a deployment gets no demo data


def migrations_wait(timeout: float) -> None:
    """Until every migration is applied (web applies them), or exit saying why not."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    deadline = time.monotonic() + timeout
    while True:
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            why = f"{len(pending)} migration(s) not applied yet"
        except DatabaseError as exc:
            pending, why = True, f"database not reachable: {exc}"
        finally:
            connection.close()
        if not pending:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for the database after {timeout:.0f} s: {why}")
        print(f"waiting: {why}", file=sys.stderr, flush=True)
        time.sleep(2)


def role_web(args: list[str]) -> None:
    if os.environ.get("MIGRATE_ON_START", "true").lower() not in ("0", "false", "no"):
        migrate_and_set_up()
    else:
        migrations_wait(float(os.environ.get("MIGRATIONS_WAIT_SECONDS", "300")))
    # Workers: WEB_CONCURRENCY (gunicorn reads it); more options: GUNICORN_CMD_ARGS or ARGS. No access
    # log: it would bypass the masking filter (an OAuth callback's query string carries its code),
    # and the proxy in front keeps one.
    _exec("-m", "gunicorn", "config.wsgi:application", "--bind", os.environ.get("WEB_BIND", "0.0.0.0:8000"), *args)


def role_worker(args: list[str]) -> None:
    migrations_wait(float(os.environ.get("MIGRATIONS_WAIT_SECONDS", "300")))
    _exec("manage.py", "ledgerlink_worker", *args)


def role_subscriber(args: list[str]) -> None:
    migrations_wait(float(os.environ.get("MIGRATIONS_WAIT_SECONDS", "300")))
    _exec("manage.py", "salesforce_subscribe", *args)


def role_migrate(args: list[str]) -> None:
    migrate_and_set_up()


def role_probe(args: list[str]) -> None:
    from integrations.operations.readiness import READY_CHECKS

    if len(args) != 1 or args[0] not in READY_CHECKS:
        raise SystemExit(f"usage: probe {{{'|'.join(READY_CHECKS)}}}")
    try:
        ok, detail = READY_CHECKS[args[0]]()
    except Exception as exc:  # a healthcheck reports, it does not print a traceback
        ok, detail = False, {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps({"check": args[0], "ok": ok, **detail}, default=str))
    raise SystemExit(0 if ok else 1)


def role_manage(args: list[str]) -> None:
    _exec("manage.py", *args)


ROLES = {"web": role_web, "worker": role_worker, "subscriber": role_subscriber, "migrate": role_migrate,
         "probe": role_probe, "manage": role_manage}


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ROLES:
        raise SystemExit(f"usage: python -m config.entrypoint {{{'|'.join(ROLES)}}} [args…]")
    _django()
    ROLES[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])

"""What ``/readyz`` checks: the database, the broker, the cluster's progress, the scheduler, the
subscriber. One explicit list (``READY_CHECKS``); each check returns ``(ok, detail)`` and never
raises: a check that raises fails with the exception's class and (masked) message.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.db.utils import load_backend
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Schedule

from config.logfilters import redact
from integrations.models import PubSubSubscription
from integrations.selectors import cluster_heartbeat_status
from integrations.triggers.subscriber.status import subscribers_status

Check = Callable[[], tuple[bool, dict]]


def database_check() -> tuple[bool, dict]:
    """Each alias in READY_DATABASE_ALIASES accepts a new connection and answers a query. The probe's
    own connection, never registered in ``connections``: the request's persistent one may predate
    an outage, and a failed probe leaves nothing broken behind for the next request."""
    for alias in settings.READY_DATABASE_ALIASES:
        conf = connections.settings[alias]
        connection = load_backend(conf["ENGINE"]).DatabaseWrapper(conf, f"{alias}:probe")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connection.close()
    return True, {"aliases": list(settings.READY_DATABASE_ALIASES)}


def broker_check() -> tuple[bool, dict]:
    """The task queue answers (Redis, or the database for the ORM broker): its due tasks counted."""
    broker = get_broker()
    broker.ping()
    return True, {"broker": broker.info(), "queued": broker.queue_size()}


def cluster_check() -> tuple[bool, dict]:
    """The worker supervisors' heartbeats (ClusterHeartbeat, written from outside the task queue):
    at least one reported lately and not every cluster is wedged."""
    status = cluster_heartbeat_status()
    return status["state"] == "ok", status


def scheduler_check() -> tuple[bool, dict]:
    """The scheduler ran recently: no active schedule is overdue by READY_SCHEDULER_GRACE_SECONDS."""
    now = timezone.now()
    late = (Schedule.objects.exclude(repeats=0).filter(next_run__lt=now - timedelta(
        seconds=settings.READY_SCHEDULER_GRACE_SECONDS)).order_by("next_run").first())
    if late is None:
        return True, {"overdue": None}
    return False, {"overdue": late.name, "due_at": late.next_run,
                   "late_seconds": int((now - late.next_run).total_seconds())}


def subscriber_check() -> tuple[bool, dict]:
    """Every Pub/Sub subscription that is not stopped has a live subscriber that heard from the
    server within READY_SUBSCRIBER_SILENCE_SECONDS (a quiet topic still gets keepalives)."""
    rows, problems = subscribers_status(), []
    for row in rows:
        if row["state"] == PubSubSubscription.State.STOPPED:
            continue
        ages = [age for age in (row["keepalive_age_seconds"], row["lag_seconds"]) if age is not None]
        heard = min(ages) if ages else None  # None: a subscription just started, nothing heard yet
        if row["state"] in ("no subscriber", PubSubSubscription.State.FAILED):
            problems.append(f"{row['connection']} {row['topic']}: {row['state']}")
        elif heard is not None and heard > settings.READY_SUBSCRIBER_SILENCE_SECONDS:
            problems.append(f"{row['connection']} {row['topic']}: nothing heard for {int(heard)} s")
    topics = [{"connection": r["connection"], "topic": r["topic"], "state": r["state"], "lag_seconds": r["lag_seconds"]}
              for r in rows]
    return not problems, {"subscriptions": topics, "problems": problems}


# The order the JSON body lists them in.
READY_CHECKS: dict[str, Check] = {
    "database": database_check,
    "broker": broker_check,
    "cluster": cluster_check,
    "scheduler": scheduler_check,
    "subscriber": subscriber_check,
}


def readiness_report() -> dict:
    """{"ready": bool, "failed": [names], "checks": {name: {"ok": bool, ...detail}}}."""
    checks, failed = {}, []
    database_down = False
    for name, check in READY_CHECKS.items():
        if database_down and name != "broker":
            # Everything after the database reads it: one cause, named once.
            checks[name], ok = {"ok": False, "error": "skipped: the database is down"}, False
        else:
            try:
                ok, detail = check()
                checks[name] = {"ok": ok, **detail}
            except Exception as exc:  # a probe answers with what failed, it does not crash
                ok = False
                checks[name] = {"ok": False, "error": redact(f"{type(exc).__name__}: {exc}")[:500]}
                database_down = database_down or name == "database"
        if not ok:
            failed.append(name)
    return {"ready": not failed, "failed": failed, "checks": checks}

"""A real worker cluster (``manage.py ledgerlink_worker``: django-q2's qcluster and the due-time
dispatcher, as production runs it) on the test's PostgreSQL database.

The one harness for the tests that need real worker processes (each marked ``slow``): the cluster
gets a queue name of its own, this test process enqueues to it, and it is stopped after, with its
log's tail added to any assertion that fails while it runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django_q.conf import Conf

from tests.processes import process_group_stop

ROOT = Path(__file__).resolve().parents[1]
LOG_TAIL_CHARS = 3000
# What this process reads to enqueue (django-q2 reads its settings into Conf once, at import).
CONF_KEYS = ("ORM", "REDIS", "PREFIX", "CLUSTER_NAME", "Q_STAT")


@dataclass(frozen=True)
class Cluster:
    process: subprocess.Popen
    log: TextIO  # the cluster's stdout and stderr
    name: str  # its queue name

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-LOG_TAIL_CHARS:]


def wait_until(predicate, *, timeout: float = 90.0, what: str = "condition", tick=None):
    """Poll ``predicate`` until true or the deadline passes; ``tick`` runs each round before it
    (the sweeper's job, which the once-a-minute schedule does in production)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def cluster_env(*, name: str, broker: str, workers: int, env_extra: dict | None) -> dict:
    """The cluster's environment: this process's, on the test database, with the chosen broker."""
    db = settings.DATABASES["default"]
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings_test",
                "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                "Q_WORKERS": str(workers), "Q_POLL": "0.1", "Q_NAME": name})
    if broker == "redis":
        env["REDIS_URL"] = os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15")
    return {**env, **(env_extra or {})}


@contextmanager
def qcluster(log_path: Path, *, broker: str = "orm", workers: int = 2, env_extra: dict | None = None,
             name: str | None = None):
    """Start a cluster on this test database (``broker``: "orm" = the database, "redis" = REDIS_URL_TEST)
    and point this process's enqueueing at it; yield a ``Cluster``; stop it by signalling its leader.
    ``name``: its queue's name; two clusters given the same one share the queue (two machines)."""
    if broker not in ("orm", "redis"):
        raise ValueError(f"unknown broker {broker!r}: 'orm' or 'redis'")
    name = name or f"test-{broker}-{os.getpid()}-{time.monotonic_ns()}"
    env = cluster_env(name=name, broker=broker, workers=workers, env_extra=env_extra)
    q_cluster = {key: value for key, value in settings.Q_CLUSTER.items() if key not in ("orm", "redis")}
    q_cluster.update({"name": name, **({"redis": env["REDIS_URL"]} if broker == "redis" else {"orm": "default"})})
    saved_q_cluster, saved_conf = settings.Q_CLUSTER, {key: getattr(Conf, key) for key in CONF_KEYS}
    settings.Q_CLUSTER = q_cluster  # what the product reads (whether the broker shares the database)
    Conf.ORM, Conf.REDIS = q_cluster.get("orm"), q_cluster.get("redis")
    Conf.PREFIX = Conf.CLUSTER_NAME = name
    Conf.Q_STAT = f"django_q:{name}:cluster"
    log = open(log_path, "w+")
    try:
        # start_new_session: the cluster and its worker processes can be stopped as one group.
        process = subprocess.Popen([sys.executable, "manage.py", "ledgerlink_worker"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        cluster = Cluster(process=process, log=log, name=name)
        try:
            yield cluster
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- qcluster log, last {LOG_TAIL_CHARS} characters ---\n"
                                 f"{cluster.log_tail()}") from exc
        finally:
            process_group_stop(process)
    finally:
        settings.Q_CLUSTER = saved_q_cluster
        for key, value in saved_conf.items():
            setattr(Conf, key, value)
        log.close()

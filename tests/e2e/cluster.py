"""A real django-q2 worker cluster (``manage.py qcluster``) on the test's PostgreSQL database."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.processes import process_group_stop

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate, *, timeout: float = 90.0, what: str = "condition", tick=None):
    """Poll ``predicate`` until true or the deadline passes (``tick`` runs between polls)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if tick:
            tick()
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def qcluster(log_path: Path, *, workers: int = 2, env_extra: dict | None = None):
    """Start a cluster on this test database (ORM broker, its own queue name); stop it after."""
    from django_q.conf import Conf

    db = settings.DATABASES["default"]
    name = f"e2e-{os.getpid()}-{int(time.time())}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "Q_WORKERS": str(workers), "Q_POLL": "0.1", "Q_NAME": name, **(env_extra or {})}
    env.pop("REDIS_URL", None)
    saved = {k: getattr(Conf, k) for k in ("ORM", "REDIS", "PREFIX", "CLUSTER_NAME", "Q_STAT")}
    Conf.ORM, Conf.REDIS, Conf.PREFIX, Conf.CLUSTER_NAME = "default", None, name, name
    Conf.Q_STAT = f"django_q:{name}:cluster"
    log = open(log_path, "w+")
    # start_new_session: the cluster and its worker processes stop as one group
    process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, log
    finally:
        process_group_stop(process)
        for key, value in saved.items():
            setattr(Conf, key, value)
        log.close()

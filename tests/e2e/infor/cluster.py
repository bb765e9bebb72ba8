"""A real django-q2 cluster (``manage.py qcluster`` subprocess) against the test database."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from tests.processes import process_group_stop

ROOT = Path(__file__).resolve().parents[3]


def wait_for(predicate, *, timeout=90.0, what="condition", tick=None):
    """Wait on a condition with a deadline; ``tick`` runs each round (the sweeper's job in production)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def qcluster(tmp_path, *, public_url: str, extra_env: dict | None = None):
    """Start a cluster with a unique queue name; yield its log; stop the whole process group."""
    from django_q.conf import Conf

    db = settings.DATABASES["default"]
    name = f"e2e-infor-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "Q_WORKERS": "2", "Q_POLL": "0.1", "Q_NAME": name, "LEDGERLINK_PUBLIC_URL": public_url,
           "SYNC_BACKOFF_BASE_SECONDS": "0.5", "SYNC_BACKOFF_CAP_SECONDS": "1", **(extra_env or {})}
    env.pop("REDIS_URL", None)
    saved = {k: getattr(Conf, k) for k in ("PREFIX", "CLUSTER_NAME", "Q_STAT")}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "name": name}
    Conf.PREFIX = Conf.CLUSTER_NAME = name  # tasks enqueued by this process go to that cluster's queue
    Conf.Q_STAT = f"django_q:{name}:cluster"
    log = open(tmp_path / "qcluster.log", "w+")
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield log
    finally:
        process_group_stop(cluster)
        for key, value in saved.items():
            setattr(Conf, key, value)

"""Self-healing (issue 17): time from SIGKILL of an idle worker to the next task processed.

The worker killed is the idle one that holds django-q2's task queue read lock (it waits in read()
on the queue's pipe; /proc/<pid>/syscall shows it), the kill an OOM killer makes. One task is sent
right after the kill; time = that task's end in django-q2's result table − the kill. Each run
starts a fresh cluster (2 workers) with the shipped settings (WORKER_WEDGE_SECONDS default), on the
ORM broker and on Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, when reachable).
Side by side, in the same run: plain ``manage.py qcluster`` (no supervisor), which never recovers
by itself; it is given BASELINE_CAP seconds.
"""
from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django_q.conf import Conf
from django_q.models import Task
from django_q.tasks import async_task

from tests.bench.servers import ROOT
from tests.cluster import process_alive, process_descendants, process_syscall
from tests.processes import process_group_stop

RUNS = 3
TARGET = 60.0
CAP = 120.0  # seconds a supervised run may take before it counts as not recovered
BASELINE_CAP = 90.0
WORKERS = 2
CONF_KEYS = ("ORM", "REDIS", "PREFIX", "CLUSTER_NAME", "Q_STAT")


def _redis_url() -> str | None:
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.from_url(url).ping()
    except Exception:  # no Redis here: the ORM rows only
        return None
    return url


class _Cluster:
    def __init__(self, command: str, broker: str, redis_url: str | None):
        self.name = f"bench-heal-{uuid.uuid4().hex[:8]}"
        env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
        env.update({"Q_WORKERS": str(WORKERS), "Q_POLL": "0.1", "Q_LOG_LEVEL": "INFO", "Q_NAME": self.name,
                    "DEBUG": "false"})
        if broker == "redis":
            env["REDIS_URL"] = redis_url
        self.saved = {key: getattr(Conf, key) for key in CONF_KEYS}
        Conf.ORM, Conf.REDIS = (None, redis_url) if broker == "redis" else ("default", None)
        Conf.PREFIX = Conf.CLUSTER_NAME = self.name
        Conf.Q_STAT = f"django_q:{self.name}:cluster"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-heal-", suffix=".log")
        self.process = subprocess.Popen([sys.executable, "manage.py", command], cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def workers(self) -> list[int]:
        self.log.seek(0)
        return [int(p) for p in re.findall(r"ready for work at (\d+)", self.log.read()) if process_alive(int(p))]

    def queue_reader(self) -> int | None:
        readers = [w for w in self.workers() if process_syscall(w) == "0"]
        return readers[0] if len(readers) == 1 and len(self.workers()) == WORKERS else None

    def close(self) -> None:
        below = process_descendants(self.process.pid)
        process_group_stop(self.process, grace=15)  # a wedged plain qcluster never stops by itself
        for pid in below:  # the supervised cluster is a process group of its own
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for key, value in self.saved.items():
            setattr(Conf, key, value)
        self.log.close()


def _send() -> str:
    name = f"bench-heal-{uuid.uuid4().hex}"
    async_task("time.time", task_name=name)
    return name


def _finished(name: str, cap: float) -> datetime | None:
    deadline = time.monotonic() + cap
    while time.monotonic() < deadline:
        stopped = Task.objects.filter(name=name).values_list("stopped", flat=True).first()
        if stopped:
            return stopped
        time.sleep(0.1)  # polling for the result
    return None


def _until(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)  # polling for the cluster's state
    raise RuntimeError("the cluster did not reach the expected state")


def one_run(command: str, broker: str, redis_url: str | None, cap: float) -> float | None:
    """Seconds from the kill to the next task processed; None when not within ``cap``."""
    cluster = _Cluster(command, broker, redis_url)
    try:
        _until(lambda: _finished(_send(), 5), 60)  # warm: the cluster processes tasks
        victim = _until(cluster.queue_reader, 30)
        killed = datetime.now(dt_timezone.utc)
        os.kill(victim, signal.SIGKILL)
        done = _finished(_send(), cap)
        return (done - killed).total_seconds() if done else None
    finally:
        cluster.close()


def _cell(values: list[float | None], cap: float) -> tuple[str, str, str]:
    got = [v for v in values if v is not None]
    missing = len(values) - len(got)
    if not got:
        return f"none within {cap:.0f} s", "—", f"{missing} / {len(values)}"
    return f"{statistics.median(got):.1f} s", f"{max(got):.1f} s", f"{missing} / {len(values)}"


def run(log) -> str:
    redis_url = _redis_url()
    brokers = ["orm"] + (["redis"] if redis_url else [])
    results: dict[tuple[str, str], list[float | None]] = {}
    for broker in brokers:
        results[("ledgerlink_worker", broker)] = [one_run("ledgerlink_worker", broker, redis_url, CAP)
                                                  for _ in range(RUNS)]
        log(f"ledgerlink_worker, {broker}: {results[('ledgerlink_worker', broker)]}")
    results[("qcluster", "orm")] = [one_run("qcluster", "orm", redis_url, BASELINE_CAP)]
    log(f"qcluster, orm: {results[('qcluster', 'orm')]}")
    rows = []
    for (command, broker), values in results.items():
        median, worst, missing = _cell(values, BASELINE_CAP if command == "qcluster" else CAP)
        rows.append(f"| `{command}` | {broker} | {len(values)} | {median} | {worst} | {missing} |")
    supervised = [v for (c, _), vs in results.items() if c == "ledgerlink_worker" for v in vs]
    verdict = "meets" if all(v is not None and v < TARGET for v in supervised) else "MISSES"
    return f"""
### Self-healing: SIGKILL of an idle worker → next task processed (`tests/bench/self_healing.py`)

Command: `make bench` (or `BENCH_DATABASE_URL=postgres://… [BENCH_REDIS_URL=redis://…] python -m tests.bench
self_healing`). A fresh cluster per run, {WORKERS} workers, shipped settings (WORKER_WEDGE_SECONDS
{settings.WORKER_WEDGE_SECONDS:.0f} s); the idle worker holding the task queue's read lock is SIGKILLed and one
task sent at once; time = its end in django-q2's result table − the kill. Baseline, same run: plain
`qcluster`, given {BASELINE_CAP:.0f} s.

| cluster | broker | runs | median | worst | not processed |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Target < {TARGET:.0f} s with `ledgerlink_worker`: **{verdict}** it.{"" if redis_url else " (Redis not reachable: ORM only.)"}
"""

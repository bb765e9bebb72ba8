"""A real worker cluster (``manage.py ledgerlink_worker``: the supervisor, which runs django-q2's
cluster as a child process group, the due-time dispatcher and the sweeper, as production runs it) on
the test's PostgreSQL database.

The one harness for the tests that need real worker processes (each marked ``slow``): the cluster
gets a queue name of its own, this test process enqueues to it, and it is stopped after, with its
log's tail added to any assertion that fails while it runs.
"""
from __future__ import annotations

import os
import re
import signal
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

    def log_text(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def log_tail(self) -> str:
        return self.log_text()[-LOG_TAIL_CHARS:]


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
            cluster_groups = _children().get(process.pid, [])  # the supervised cluster's process group
            process_group_stop(process)
            for pgid in cluster_groups:  # normally gone already: the supervisor stops its cluster
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    finally:
        settings.Q_CLUSTER = saved_q_cluster
        for key, value in saved_conf.items():
            setattr(Conf, key, value)
        log.close()


# --- The processes of a supervised cluster, by role (for the kill tests) -------------------------
# The cluster must log at INFO (env Q_LOG_LEVEL=INFO): django-q2 names each process's role there.
ROLE_LINES = {"worker": "ready for work at", "monitor": "monitoring at", "pusher": "pushing tasks at"}
SYSCALL_READ = "0"  # /proc/<pid>/syscall: the process waits in read(): the worker holding the queue's lock


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] != "Z":  # a zombie is dead already
            tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except FileNotFoundError:
        return []


def process_syscall(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/syscall").read_text().split()[0]
    except (FileNotFoundError, IndexError):
        return ""


@dataclass(frozen=True)
class ClusterProcesses:
    leader: int  # manage.py ledgerlink_cluster: its process group is the cluster
    sentinel: int  # django-q2's sentinel: the guard loop and the scheduler
    workers: list[int]
    monitor: int | None
    pusher: int | None
    ledger: Path  # the task ledger of this run of the cluster

    def busy_workers(self) -> list[int]:
        return [w for w in self.workers if (self.ledger / "busy" / str(w)).exists()]

    def queue_reader(self) -> int | None:
        """The idle worker holding the task queue's read lock (waiting in read() on its pipe)."""
        readers = [w for w in self.workers if w not in self.busy_workers() and process_syscall(w) == SYSCALL_READ]
        return readers[0] if len(readers) == 1 else None


def cluster_processes(cluster: Cluster) -> ClusterProcesses | None:
    """The supervised cluster's live processes by role, or None while it is (re)starting."""
    tree = _children()
    leaders = [p for p in tree.get(cluster.process.pid, []) if "ledgerlink_cluster" in _cmdline(p)]
    sentinels = tree.get(leaders[0], []) if len(leaders) == 1 else []
    if len(sentinels) != 1:
        return None
    children, log = set(tree.get(sentinels[0], [])), cluster.log_text()
    roles = {role: [int(pid) for pid in re.findall(rf"{line} (\d+)", log) if int(pid) in children]
             for role, line in ROLE_LINES.items()}
    return ClusterProcesses(leader=leaders[0], sentinel=sentinels[0], workers=roles["worker"],
                            monitor=(roles["monitor"] or [None])[-1], pusher=(roles["pusher"] or [None])[-1],
                            ledger=Path(_cmdline(leaders[0])[-2]))


def process_descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (its children, theirs, …)."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def process_alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"

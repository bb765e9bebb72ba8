"""Servers and load for the benchmarks: gunicorn on a free port, and a small load generator
(threads with keep-alive sessions) that measures each request's latency."""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.processes import process_group_stop

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int, env_extra: dict | None = None, threads: int = 1):
    """gunicorn serving the app (with the benchmark's trivial view) on a free port (or BENCH_PORT, on a
    machine where each user keeps to given ports); yields its base URL."""
    port = int(os.environ.get("BENCH_PORT") or 0) or free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.bench.settings_bench", **(env_extra or {})}
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--threads", str(threads), "--log-level", "warning", "--timeout", "120"]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/bench/trivial/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still loading the app
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        process_group_stop(process)


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))] * 1000 if data else float("nan")

    def row(self, name: str) -> str:
        return (f"| {name} | {len(self.latencies) + self.errors} | {self.rps:.0f} | {self.pct(50):.1f} ms | "
                f"{self.pct(99):.1f} ms | {self.errors} |")


def load(send, *, total: int, concurrency: int, rate: float | None = None) -> LoadResult:
    """Send ``total`` requests with ``concurrency`` threads: as fast as possible, or open-loop at
    ``rate`` per second (request i is due at start + i/rate; its latency counts from when it was
    due, so a server that falls behind shows it)."""
    result, lock, counter = LoadResult(), threading.Lock(), iter(range(total))
    start = time.perf_counter()

    def worker():
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            due = start + i / rate if rate else time.perf_counter()
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # pacing the open-loop schedule, not waiting for a result
            try:
                ok = 200 <= send(session, i).status_code < 300
            except requests.RequestException:
                ok = False
            took = time.perf_counter() - due
            with lock:
                if ok:
                    result.latencies.append(took)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    return result


def median(values) -> float:
    return statistics.median(values) if values else float("nan")

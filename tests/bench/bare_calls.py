"""The physical limit of a flow benchmark, measured: the exact HTTP requests one item makes
(recorded from one item run through the engine in this process), replayed against the same
simulators under the same gunicorn by N concurrent clients with no Ledgerlink engine in between.
One replayed sequence counts as one item; the rate is sequences / wall time."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    headers: dict
    body: bytes | str | None


@contextmanager
def calls_recorded():
    """Record every request sent in this process (method, URL, headers with the live token, body)
    while the block runs, as it goes on the wire: after any adapter rewrote it (the Salesforce
    simulator's adapter maps simple-salesforce's https origin to the simulator's root)."""
    recorded: list[Call] = []
    original = HTTPAdapter.send

    def send(self, request, **kwargs):
        recorded.append(Call(request.method, request.url, dict(request.headers), request.body))
        return original(self, request, **kwargs)

    HTTPAdapter.send = send
    try:
        yield recorded
    finally:
        HTTPAdapter.send = original


def calls_replay(calls: list[Call], *, sequences: int, clients: int) -> tuple[float, int]:
    """Replay ``calls`` ``sequences`` times over ``clients`` threads (keep-alive sessions, as a
    worker's client keeps); returns (sequences per second, responses that were not 2xx)."""
    lock, counter, failures = threading.Lock(), iter(range(sequences)), [0]

    def client():
        session = requests.Session()
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            for call in calls:
                try:
                    ok = 200 <= session.request(call.method, call.url, headers=call.headers, data=call.body,
                                                allow_redirects=False, timeout=60).status_code < 300
                except requests.RequestException:
                    ok = False
                if not ok:
                    with lock:
                        failures[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sequences / (time.perf_counter() - started), failures[0]

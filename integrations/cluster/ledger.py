"""The task ledger: where each task one supervised cluster took from the broker is.

django-q2 hands tasks from its pusher to its workers through a multiprocessing queue whose read
lock an idle worker holds while it waits; a SIGKILLed holder never releases it, and the tasks in
that queue are then stuck (ORM broker: until its ``retry`` time) or gone (Redis: popped). The
cluster's processes therefore also note each task in plain files, which a SIGKILL cannot leave
half-locked, in a directory private to one run of the cluster:

- ``pulled/<task id>``: written by the pusher as it takes the task (ack id and signed payload),
  removed by the worker that starts it. Left over at a restart = never started: sent again.
- ``done/<task id>``: written by the worker when the task returns, removed by the monitor once the
  result is saved and acknowledged. Left over at a restart: acknowledged by the supervisor.
- ``busy/<pid>``: that worker is running this task (id, ack id, function, arguments, signed
  payload). Left over by a worker that is gone = the task died with it: the supervisor hands it
  to lost-task recovery (recovery.py) within a second, whether it killed the worker or not.
- ``progress``: touched whenever a task starts or finishes; its mtime is the last progress.
- ``deaths/<time>``: written by the sentinel when it replaces a pusher that died. A pusher SIGKILLed
  while it waits on Redis (BLPOP) can take a task with it that it never noted: Redis pops it to a
  client that is gone. The supervisor then sends the items still pending from before that time
  again (``sync/sweeper.py`` ``sync_items_pending_redispatch``; the claim step makes a second task
  for an item harmless). A ``pulled`` file whose pusher is gone and no worker started is sent again
  at the same time, without waiting for the wedge rule (other work may keep the cluster busy).

The supervisor (``integrations.cluster.supervisor``) reads a snapshot every second.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django_q.signing import BadSignature, SignedPackage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LedgerSnapshot:
    waiting: int  # pulled from the broker, not started by any worker
    unsaved: int  # finished by a worker, result not yet saved by the monitor
    busy: int  # live workers running a task
    last_progress: float | None  # time.time() of the last start or finish
    oldest_waiting: float | None  # time.time() the longest-waiting of those tasks was noted


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class TaskLedger:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.pulled, self.done, self.busy = self.root / "pulled", self.root / "done", self.root / "busy"
        self.progress = self.root / "progress"
        self.deaths = self.root / "deaths"

    def create(self) -> TaskLedger:
        for folder in (self.pulled, self.done, self.busy, self.deaths):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # --- written by the cluster's processes ---------------------------------------------------
    def _write(self, path: Path, data: dict) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)  # a reader never sees half a file

    def _progress_mark(self) -> None:
        self.progress.touch()

    def task_pulled(self, *, ack_id, payload) -> None:
        try:
            task_id = SignedPackage.loads(payload)["id"]
        except (TypeError, KeyError, BadSignature):
            return  # the pusher fails it; nothing to track
        text = payload.decode() if isinstance(payload, bytes) else payload
        self._write(self.pulled / task_id, {"ack_id": ack_id, "payload": text, "pid": os.getpid()})

    def pusher_replaced(self) -> None:
        """Noted by the sentinel when it starts a new pusher in place of one that died."""
        self.deaths.mkdir(parents=True, exist_ok=True)
        (self.deaths / f"{time.time():.6f}").touch()

    def task_started(self, *, task: dict) -> None:
        self._write(self.busy / str(os.getpid()), {
            "task_id": task["id"], "ack_id": task.get("ack_id"), "func": str(task["func"]),
            "args": list(task.get("args") or ()), "payload": SignedPackage.dumps(task)})
        (self.pulled / task["id"]).unlink(missing_ok=True)
        self._progress_mark()

    def task_finished(self, *, task_id: str, ack_id) -> None:
        self._write(self.done / task_id, {"ack_id": ack_id})
        (self.busy / str(os.getpid())).unlink(missing_ok=True)
        self._progress_mark()

    def result_saved(self, *, task_id: str) -> None:
        (self.done / task_id).unlink(missing_ok=True)
        self._progress_mark()

    # --- read by the supervisor ---------------------------------------------------------------
    def snapshot(self) -> LedgerSnapshot:
        def noted(folder: Path) -> list[float]:
            times = []
            for path in folder.iterdir():
                if path.name.startswith("."):
                    continue  # being written
                try:
                    times.append(path.stat().st_mtime)
                except FileNotFoundError:
                    pass  # started or saved while this was read
            return times

        waiting, unsaved = noted(self.pulled), noted(self.done)
        busy = sum(1 for p in self.busy.iterdir() if p.name.isdigit() and _pid_alive(int(p.name)))
        try:
            last = self.progress.stat().st_mtime
        except FileNotFoundError:
            last = None
        return LedgerSnapshot(waiting=len(waiting), unsaved=len(unsaved), busy=busy, last_progress=last,
                              oldest_waiting=min(waiting + unsaved, default=None))

    def lost_take(self) -> list[dict]:
        """The tasks whose worker died while running them (busy files of dead pids), once each."""
        lost = []
        for path in sorted(self.busy.iterdir()):
            if path.name.isdigit() and not _pid_alive(int(path.name)):
                try:
                    lost.append(json.loads(path.read_text()))
                    path.unlink()
                except (FileNotFoundError, json.JSONDecodeError):
                    pass  # an empty or vanished file: nothing to recover
        return lost

    def pusher_deaths_take(self) -> list[float]:
        """When pushers were replaced since the last call (time.time()), once each."""
        if not self.deaths.exists():
            return []
        deaths = []
        for path in sorted(self.deaths.iterdir()):
            try:
                deaths.append(float(path.name))
                path.unlink()
            except (ValueError, FileNotFoundError):
                continue
        return deaths

    def orphan_pulls_take(self) -> list[dict]:
        """Tasks a pusher that is gone took and no worker started (they died in its hands), once each."""
        orphans = []
        for path in sorted(self.pulled.iterdir()):
            if path.name.startswith("."):
                continue
            try:
                entry = json.loads(path.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                continue
            if entry.get("pid") and not _pid_alive(int(entry["pid"])):
                path.unlink(missing_ok=True)
                orphans.append(entry)
        return orphans

    def release(self, broker) -> tuple[int, int, list[dict]]:
        """After the cluster's processes are gone: send never-started tasks to the broker again
        (and drop their old copy), acknowledge finished ones whose result was not saved.
        Returns (sent again, acknowledged, the tasks that died with their worker)."""
        resent = acked = 0
        lost = self.lost_take()
        for path in sorted(self.pulled.iterdir()):
            if path.name.startswith("."):
                continue
            entry = json.loads(path.read_text())
            broker.enqueue(entry["payload"])
            if entry["ack_id"] is not None:
                broker.acknowledge(entry["ack_id"])
            path.unlink()
            resent += 1
        for path in sorted(self.done.iterdir()):
            if path.name.startswith("."):
                continue
            entry = json.loads(path.read_text())
            if entry["ack_id"] is not None:
                broker.acknowledge(entry["ack_id"])
            path.unlink()
            acked += 1
        return resent, acked, lost

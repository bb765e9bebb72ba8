"""The highest bus position, shared between the server's bus thread (which assigns positions)
and its streams (which wait for new ones) inside one server process."""
from __future__ import annotations

import threading


class BusClock:
    def __init__(self):
        self._cond = threading.Condition()
        self.latest = 0
        self.ticks = 0
        self._wanted = False

    def published(self, latest: int) -> None:
        """The bus thread finished one round: every event committed before it began has a position."""
        with self._cond:
            self.latest = max(self.latest, latest)
            self.ticks += 1
            self._wanted = False
            self._cond.notify_all()

    def idle(self, timeout: float, stopping: threading.Event) -> None:
        """The bus thread's pause between rounds; a `sync` cuts it short."""
        with self._cond:
            self._cond.wait_for(lambda: self._wanted or stopping.is_set(), timeout=timeout)

    def sync(self, timeout: float = 2.0) -> int:
        """Wait for a round that began after this call (so whatever committed before the call has
        a position) and return the latest position. The round already running may have begun
        earlier, hence two."""
        with self._cond:
            target = self.ticks + 2
            self._wanted = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: self.ticks >= target, timeout=timeout)
            return self.latest

"""How many M3 calls the simulator is answering at once, and the most it ever was since a reset:
tests read it (in the live server's process) to check a client's concurrency limit holds."""
from __future__ import annotations

import functools
import threading

_lock = threading.Lock()
_state = {"now": 0, "peak": 0, "served": 0}


def in_flight_counted(view):
    @functools.wraps(view)
    def counted(*args, **kwargs):
        with _lock:
            _state["now"] += 1
            _state["peak"] = max(_state["peak"], _state["now"])
        try:
            return view(*args, **kwargs)
        finally:
            with _lock:
                _state["now"] -= 1
                _state["served"] += 1
    return counted


def in_flight_peak() -> int:
    with _lock:
        return _state["peak"]


def in_flight_reset() -> None:
    with _lock:
        _state.update(now=0, peak=0, served=0)

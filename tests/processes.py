"""Stopping the process groups tests and benchmarks start (a server or cluster and its children)."""
import os
import signal
import subprocess


def process_group_stop(process: subprocess.Popen, *, grace: float = 30) -> None:
    """SIGTERM the leader, then SIGKILL whatever is left of its group.

    Only the leader is asked to stop: gunicorn's master and qcluster's main process each shut
    their children down in order. Signalling the whole group instead kills qcluster's workers
    and monitor under its sentinel, which then waits out its full timeout for them.
    """
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers, and a leader that did not stop
    except ProcessLookupError:
        pass
    process.wait()

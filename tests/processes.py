"""Stopping the process groups tests and benchmarks start (a server or cluster and its children)."""
import os
import signal
import subprocess


def process_group_stop(process: subprocess.Popen, *, grace: float = 30) -> None:
    """SIGTERM the group, SIGKILL it if it is still there after ``grace`` seconds."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)

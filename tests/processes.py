"""Stopping a subprocess started with ``start_new_session=True`` together with its children."""
import os
import signal
import subprocess


def process_group_stop(process: subprocess.Popen, *, grace: float = 30) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)

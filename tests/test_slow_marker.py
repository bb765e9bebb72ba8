"""Tests that start real processes carry the `slow` marker (conftest refuses the process otherwise)."""
import multiprocessing
import subprocess
import sys

import pytest


def _nothing():
    pass


def test_a_subprocess_in_a_test_not_marked_slow_is_refused():
    with pytest.raises(AssertionError, match="starts a real process: mark it `slow`"):
        subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_worker_process_in_a_test_not_marked_slow_is_refused(method):
    process = multiprocessing.get_context(method).Process(target=_nothing)
    with pytest.raises(AssertionError, match="starts a real process: mark it `slow`"):
        process.start()


@pytest.mark.slow
def test_a_test_marked_slow_may_start_processes():
    assert subprocess.run([sys.executable, "-c", "pass"], check=True).returncode == 0
    process = multiprocessing.get_context("spawn").Process(target=_nothing)
    process.start()
    process.join(30)
    assert process.exitcode == 0

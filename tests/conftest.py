"""Shared fixtures. PostgreSQL-only tests are marked `postgres` and deselected on SQLite runs
(CI runs the suite on both databases, so they always run somewhere)."""
from __future__ import annotations

import _posixsubprocess
import os
import subprocess

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True, scope="session")
def sqlite_statements_serialized():
    """Threads share the in-memory SQLite database's one connection: one statement at a time."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        from tests.sqlite_shared import serialized_cursors_install

        serialized_cursors_install()


@pytest.fixture(autouse=True)
def processes_only_in_slow_tests(request, monkeypatch):
    """A test that starts a real process must be marked `slow`: `make test-fast` skips those, and
    without the marker a new one would quietly slow the inner loop. Every way a test here starts
    one is refused: subprocess (and asyncio's, the browser driver's), multiprocessing's fork and spawn."""
    if request.node.get_closest_marker("slow"):
        return

    def refuse(*args, **kwargs):
        raise AssertionError(f"{request.node.nodeid} starts a real process: mark it `slow` (see `make test-fast`)")

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    monkeypatch.setattr(_posixsubprocess, "fork_exec", refuse)  # multiprocessing's spawn
    monkeypatch.setattr(os, "fork", refuse)


@pytest.fixture(autouse=True)
def cache_cleared():
    """Each test starts with an empty cache (the webhook rejection limits count in it)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def pg_only():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")

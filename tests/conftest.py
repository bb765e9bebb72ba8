"""Shared fixtures. PostgreSQL-only tests are marked `postgres` and deselected on SQLite runs
(CI runs the suite on both databases, so they always run somewhere)."""
from __future__ import annotations

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


@pytest.fixture
def pg_only():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")

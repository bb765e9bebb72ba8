"""The SQLite test connection that threads share reads each statement to its end when it runs."""
from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_a_read_is_not_changed_by_a_statement_that_lands_before_its_rows_are_fetched():
    """Holds on PostgreSQL by itself (the client reads a result whole); on SQLite through tests/sqlite_shared.py."""
    with connection.cursor() as setup:
        setup.execute("CREATE TEMP TABLE shared_probe (n INTEGER)")
        setup.executemany("INSERT INTO shared_probe (n) VALUES (%s)", [(i,) for i in range(50)])
    with connection.cursor() as reader, connection.cursor() as writer:
        reader.execute("SELECT n FROM shared_probe")
        writer.execute("UPDATE shared_probe SET n = n + 1000")  # another thread's statement on the same connection
        assert [n for (n,) in reader.fetchall()] == list(range(50))

"""One statement at a time on the in-memory SQLite connection that test threads share.

On SQLite the test database lives in memory, so the live server's threads and the Pub/Sub server's
threads use the test's own connection (another connection would not see the test's data). SQLite
leaves a read undefined when the same connection changes the table before the read finishes: a
server thread read the simulator's org row while the test updated it and got NULL for a NOT NULL
column (CI, Python 3.13). Each statement here runs and is read to its end under one lock, so no
other thread's statement lands between a query and its rows; transactions still interleave, as they
would on one connection."""
from __future__ import annotations

import threading
from itertools import islice

from django.db.backends.sqlite3 import base

_STATEMENT = threading.RLock()


class SerializedCursor(base.SQLiteCursorWrapper):
    """Reads every row when the statement runs; the fetch methods hand them out from memory."""

    _rows = iter(())

    def execute(self, query, params=None):
        with _STATEMENT:
            super().execute(query, params)
            self._rows = iter(super().fetchall())
        return self

    def executemany(self, query, param_list):
        with _STATEMENT:
            super().executemany(query, param_list)
            self._rows = iter(())
        return self

    def executescript(self, script):
        with _STATEMENT:
            return super().executescript(script)

    def fetchone(self):
        return next(self._rows, None)

    def fetchmany(self, size=None):
        return list(islice(self._rows, self.arraysize if size is None else size))

    def fetchall(self):
        return list(self._rows)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._rows)


def serialized_cursors_install() -> None:
    """On in-memory databases only: a file database's threads each have their own connection, and
    one waiting on another's write lock must not hold this lock meanwhile."""
    def create_cursor(self, name=None):
        factory = SerializedCursor if self.is_in_memory_db() else base.SQLiteCursorWrapper
        return self.connection.cursor(factory=factory)

    base.DatabaseWrapper.create_cursor = create_cursor

"""Close every requests.Session a test opened before the test's database goes away.

The live test server answers each keep-alive connection in its own thread; a session left
open keeps that thread alive past the test, and it then touches a database connection
that belongs to the next test (Django raises "DatabaseWrapper objects created in a thread
can only be used in that same thread"). Import ``close_http_sessions`` into a conftest.
"""
import pytest
import requests


@pytest.fixture(autouse=True)
def close_http_sessions(monkeypatch):
    opened = []
    original_init = requests.Session.__init__

    def tracking_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(requests.Session, "__init__", tracking_init)
    yield
    for session in opened:
        session.close()

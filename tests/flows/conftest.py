from datetime import datetime

import pytest
from django.utils import timezone

from tests.flows.world import world_make
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)
from tests.sandbox.freshbooks.fixtures import fb, fb_connection  # noqa: F401
from tests.sandbox.salesforce.fixtures import sf_app, sf_connection, sf_connection_unconnected, sf_root  # noqa: F401


@pytest.fixture
def world(sf_connection, fb, fb_connection):  # noqa: F811  (the fixtures imported above)
    return world_make(sf_connection=sf_connection, fb_sandbox=fb, fb_connection=fb_connection)


class Clock:
    """One clock for the simulators and Ledgerlink, set by the test (never waited for). Items
    become due at the real time they were queued (the model default), so a test that processes
    them moves the clock past that first (the workers' turn)."""

    def __init__(self):
        self.at = timezone.now().replace(microsecond=0)

    def set(self, at: datetime) -> datetime:
        self.at = at
        return at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", frozen.now)
    return frozen

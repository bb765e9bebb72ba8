"""An Infor connection wired to the M3 simulator served by the live test server."""
import json

import pytest

from integrations.connectors.infor.ionapi import connection_ionapi_store
from integrations.sandbox.infor.models import AuthorizedApp, Fault
from integrations.sandbox.infor.state import app_default, ionapi_document, seed_ensure
from tests.factories import ConnectionFactory
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)


@pytest.fixture
def sim_app(live_server) -> AuthorizedApp:
    seed_ensure()
    return app_default()


@pytest.fixture
def ionapi_text(live_server, sim_app) -> str:
    return json.dumps(ionapi_document(sim_app, root_url=live_server.url + "/sandbox/infor"))


@pytest.fixture
def m3_connection(ionapi_text):
    connection = ConnectionFactory(system="infor", name="Infor M3 test", base_url="")
    return connection_ionapi_store(connection=connection, text=ionapi_text)


@pytest.fixture
def fault():
    def add(kind, *, remaining=1, retry_after=1, latency_ms=0):
        return Fault.objects.create(kind=kind, remaining=remaining, retry_after=retry_after,
                                    latency_ms=latency_ms)
    return add

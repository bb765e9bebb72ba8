"""Shared fixtures for Salesforce simulator and connector tests (imported by both conftests)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations.connectors.base import connection_tokens_store
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.oauth import authorize_url, code_exchange, pkce_pair
from integrations.models import Connection
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.org import org_get

CONSUMER_KEY, CONSUMER_SECRET = "3MVG9-test-key", "test-consumer-secret"
REDIRECT_URI = "http://127.0.0.1/connect/complete/salesforce/"
WEBHOOK_SECRET = "whsec-test-0123456789"


def authorize_code(connection: Connection, *, challenge: str, state: str = "st-1") -> str:
    """Walk the simulator's approval page like a browser and return the code."""
    url = authorize_url(connection=connection, redirect_uri=REDIRECT_URI, state=state, code_challenge=challenge)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Allow access?" in page.text
    fields = dict(parse_qs(urlsplit(url).query))
    response = requests.post(url.split("?")[0], data={**{k: v[0] for k, v in fields.items()}, "decision": "allow"},
                             allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def connect_via_code(connection: Connection) -> Connection:
    verifier, challenge = pkce_pair()
    code = authorize_code(connection, challenge=challenge)
    tokens = code_exchange(connection=connection, code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier)
    return connection_tokens_store(connection=connection, tokens=tokens)


@pytest.fixture
def sf_root(live_server) -> str:
    return live_server.url + "/sandbox/salesforce"


@pytest.fixture
def sf_app(transactional_db):
    org_get()
    return sim.connected_app_ensure(consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET,
                                    redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=True)


@pytest.fixture
def sf_connection_unconnected(sf_root, sf_app) -> Connection:
    connection = Connection(name="Salesforce sandbox", system="salesforce", is_sandbox=True, base_url=sf_root,
                            auth_url=sf_root, client_id=CONSUMER_KEY, auth_kind=Connection.AuthKind.OAUTH2_CODE)
    connection.set_secrets(client_secret=CONSUMER_SECRET, webhook_secret=WEBHOOK_SECRET)
    connection.save()
    return connection


@pytest.fixture
def sf_connection(sf_connection_unconnected) -> Connection:
    return connect_via_code(sf_connection_unconnected)


@pytest.fixture
def sf(sf_connection) -> SalesforceClient:
    return SalesforceClient(sf_connection)

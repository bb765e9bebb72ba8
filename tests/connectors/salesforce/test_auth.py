"""Every auth flow against the simulator over real HTTP, and refresh on expiry."""
from __future__ import annotations

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from datetime import datetime, timedelta, timezone as dt_timezone

from integrations.connectors.base import connection_tokens_store
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.oauth import code_exchange, pkce_pair, token_fetch, token_revoke
from integrations.errors import AuthError, RetryableError
from integrations.models import Connection
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfToken
from monitoring.models import ApiCall
from tests.sandbox.salesforce.fixtures import CONSUMER_KEY, CONSUMER_SECRET, REDIRECT_URI, authorize_code


def _key_and_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ledgerlink-test")])
    now = datetime.now(dt_timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_web_server_flow_with_pkce_stores_tokens_without_expiry(sf_connection):
    assert sf_connection.get_secret("access_token") and sf_connection.get_secret("refresh_token")
    assert sf_connection.token_expires_at is None  # no expires_in from Salesforce
    assert sf_connection.settings["instance_url"].endswith("/sandbox/salesforce")
    identity = SalesforceClient(sf_connection).identity()
    assert identity["username"] == "integration@ledgerlink.sandbox"


def test_token_response_has_no_expires_in(sf_connection_unconnected, sf_root):
    verifier, challenge = pkce_pair()
    code = authorize_code(sf_connection_unconnected, challenge=challenge)
    body = requests.post(f"{sf_root}/services/oauth2/token", timeout=10, data={
        "grant_type": "authorization_code", "code": code, "client_id": CONSUMER_KEY,
        "client_secret": CONSUMER_SECRET, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}).json()
    assert "expires_in" not in body and {"access_token", "refresh_token", "instance_url", "id", "issued_at",
                                         "signature", "token_type", "scope"} <= set(body)


def test_pkce_verifier_missing_or_wrong_is_refused(sf_connection_unconnected, sf_root):
    verifier, challenge = pkce_pair()
    code = authorize_code(sf_connection_unconnected, challenge=challenge)
    with pytest.raises(AuthError, match="invalid_request"):
        code_exchange(connection=sf_connection_unconnected, code=code, redirect_uri=REDIRECT_URI,
                      code_verifier="wrong" * 10)
    code = authorize_code(sf_connection_unconnected, challenge=challenge)
    answer = requests.post(f"{sf_root}/services/oauth2/token", timeout=10, data={
        "grant_type": "authorization_code", "code": code, "client_id": CONSUMER_KEY,
        "client_secret": CONSUMER_SECRET, "redirect_uri": REDIRECT_URI})
    assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant",
                                                           "error_description": "invalid code verifier"}


def test_expired_session_refreshes_once_with_rotation(sf, sf_connection):
    old_access, old_refresh = sf_connection.get_secret("access_token"), sf_connection.get_secret("refresh_token")
    sf.query("SELECT Id FROM Account")
    sim.sessions_expire_now()
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    sf_connection.refresh_from_db()
    assert sf_connection.get_secret("access_token") != old_access
    assert sf_connection.get_secret("refresh_token") != old_refresh  # rotation honoured
    assert sf_connection.token_state == Connection.TokenState.VALID
    grants = SfToken.objects.filter(kind="access", grant_type="refresh_token").count()
    assert grants == 1
    # The rotated-out refresh token is dead (and reusing it revokes the lineage).
    answer = requests.post(f"{sf_connection.auth_url}/services/oauth2/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": old_refresh, "client_id": CONSUMER_KEY,
        "client_secret": CONSUMER_SECRET})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_three_401s_in_a_row_are_retried_on_fresh_sessions_not_a_reconnect(sf, sf_connection):
    """Issue 20: an expired session is not a dead letter (the fault switch: next N calls answer 401)."""
    sf.query("SELECT Id FROM Account")
    sim.org_configure(fault_unauthorized=3)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    statuses = list(ApiCall.objects.filter(method="GET", path__endswith="/query/").order_by("pk")
                    .values_list("status_code", flat=True))
    assert statuses == [200, 401, 401, 401, 200]
    sf_connection.refresh_from_db()
    assert sf_connection.token_state == Connection.TokenState.VALID
    assert SfToken.objects.filter(kind="access", grant_type="refresh_token").count() == 3


def test_401s_on_every_fresh_session_end_retryable_not_failing(sf, sf_connection, settings):
    settings.TOKEN_RETRY_ATTEMPTS = 2
    sim.org_configure(fault_unauthorized=5)
    with pytest.raises(RetryableError, match="Salesforce refused 2 fresh access tokens in a row"):
        sf.query("SELECT Id FROM Account")
    sf_connection.refresh_from_db()
    assert sf_connection.token_state != Connection.TokenState.FAILING


def test_revoked_refresh_token_marks_connection_failing(sf, sf_connection):
    token_revoke(connection=sf_connection)
    with pytest.raises(AuthError, match="invalid_grant"):
        sf.query("SELECT Id FROM Account")
    sf_connection.refresh_from_db()
    assert sf_connection.token_state == Connection.TokenState.FAILING and "invalid_grant" in sf_connection.last_auth_error


def test_jwt_bearer_flow_and_regrant_on_expiry(sf_app, sf_root):
    pem_key, cert = _key_and_cert()
    sf_app.jwt_certificate = cert
    sf_app.save()
    connection = Connection.objects.create(name="sf-jwt", system="salesforce", is_sandbox=True, base_url=sf_root,
                                           auth_url=sf_root, client_id=CONSUMER_KEY,
                                           auth_kind=Connection.AuthKind.JWT_BEARER,
                                           settings={"username": "integration@ledgerlink.sandbox"})
    connection.set_secrets(jwt_private_key=pem_key)
    connection.save()
    tokens = token_fetch(connection)
    assert tokens.refresh_token is None
    connection_tokens_store(connection=connection, tokens=tokens)
    client = SalesforceClient(connection)
    client.create("Account", {"Name": "Via JWT"})
    sim.sessions_expire_now()
    assert client.query("SELECT Name FROM Account")["records"][0]["Name"] == "Via JWT"
    other_key, _ = _key_and_cert()
    connection.set_secrets(jwt_private_key=other_key)
    with pytest.raises(AuthError, match="invalid_grant"):
        token_fetch(connection)


def test_client_credentials_flow(sf_app, sf_root):
    connection = Connection.objects.create(name="sf-cc", system="salesforce", is_sandbox=True, base_url=sf_root,
                                           auth_url=sf_root, client_id=CONSUMER_KEY,
                                           auth_kind=Connection.AuthKind.CLIENT_CREDENTIALS)
    connection.set_secrets(client_secret=CONSUMER_SECRET)
    connection.save()
    connection_tokens_store(connection=connection, tokens=token_fetch(connection))
    assert SalesforceClient(connection).query("SELECT COUNT() FROM Contact")["totalSize"] == 0
    connection.set_secrets(client_secret="wrong")
    with pytest.raises(AuthError, match="invalid_client"):
        token_fetch(connection)

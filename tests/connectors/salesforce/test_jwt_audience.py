"""The JWT bearer ``aud``: https://login.salesforce.com or https://test.salesforce.com (reference
§1.4), also for My Domain orgs, never the My Domain URL; the simulator is as strict."""
from __future__ import annotations

import jwt
import pytest

from integrations.connectors.salesforce.oauth import jwt_assertion, jwt_audience, token_fetch
from integrations.errors import AuthError
from integrations.models import Connection
from integrations.sandbox.salesforce import services as sim
from tests.connectors.salesforce.test_auth import _key_and_cert
from tests.sandbox.salesforce.fixtures import CONSUMER_KEY

LOGIN, TEST = "https://login.salesforce.com", "https://test.salesforce.com"


@pytest.mark.parametrize("auth_url, settings, audience", [
    ("", {}, LOGIN),
    ("https://login.salesforce.com", {}, LOGIN),
    ("https://test.salesforce.com/", {}, TEST),
    ("https://acme.my.salesforce.com", {}, LOGIN),  # a production My Domain org
    ("https://acme--uat.sandbox.my.salesforce.com", {}, TEST),  # a sandbox My Domain (enhanced domains)
    ("https://acme--uat.my.salesforce.com", {}, TEST),  # a sandbox My Domain (older form)
    ("https://acme.my.salesforce.com", {"jwt_audience": "https://acme.my.site.com/partners"},
     "https://acme.my.site.com/partners"),  # an Experience Cloud site, set explicitly
    ("http://127.0.0.1:8000/sandbox/salesforce", {}, LOGIN),  # the simulator plays a production org
])
def test_jwt_audience_is_a_login_host_unless_set(auth_url, settings, audience):
    connection = Connection(system="salesforce", auth_url=auth_url, settings=settings)
    assert jwt_audience(connection) == audience


def _jwt_connection(sf_app, sf_root, **settings) -> Connection:
    pem_key, cert = _key_and_cert()
    sf_app.jwt_certificate = cert
    sf_app.save()
    connection = Connection.objects.create(
        name="sf-jwt", system="salesforce", is_sandbox=True, base_url=sf_root, auth_url=sf_root,
        client_id=CONSUMER_KEY, auth_kind=Connection.AuthKind.JWT_BEARER,
        settings={"username": "integration@ledgerlink.sandbox", **settings})
    connection.set_secrets(jwt_private_key=pem_key)
    connection.save()
    return connection


def test_simulator_accepts_the_login_host_audience(sf_app, sf_root):
    connection = _jwt_connection(sf_app, sf_root)
    assert jwt.decode(jwt_assertion(connection), options={"verify_signature": False})["aud"] == LOGIN
    assert token_fetch(connection).access_token


def test_simulator_refuses_the_my_domain_url_as_audience_unless_the_org_lists_it(sf_app, sf_root):
    """Salesforce documents only login/test/community audiences; a My Domain aud is unconfirmed,
    so the simulator refuses it by default and accepts it only when configured to."""
    connection = _jwt_connection(sf_app, sf_root, jwt_audience=sf_root)
    with pytest.raises(AuthError, match="invalid_grant"):
        token_fetch(connection)
    sim.org_configure(jwt_audiences=[sf_root])
    assert token_fetch(connection).access_token

"""Outbound URLs of connections: refused when saved (admin form, model clean, .ionapi upload, a
Salesforce token response) and again when a request is made (the shared HttpClient, the session
under simple-salesforce). Production rules throughout (OUTBOUND_URLS_ALLOW_PRIVATE off), except
the test that the development sandbox connections keep working. No traffic leaves the test."""
from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.infor.ionapi import IonApiInvalid, ionapi_parse
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.oauth import token_set_from_response
from integrations.errors import AuthError, FatalError
from integrations.models import Connection
from monitoring.models import ApiCall
from tests.factories import ConnectionFactory
from tests import outbound_dns

# The patched resolver and the ban on sockets (tests/outbound_dns.py).
no_network, production = outbound_dns.no_network, outbound_dns.production

pytestmark = pytest.mark.django_db


def _form(connection: Connection, **changes) -> dict:
    form = {"name": connection.name, "system": connection.system, "environment": "production",
            "auth_kind": "oauth2_code", "base_url": connection.base_url, "auth_url": connection.auth_url,
            "settings": json.dumps(connection.settings), "is_active": "on"}
    form.update(changes)
    return form


@pytest.mark.parametrize("changes, message", [
    ({"base_url": "http://api.example.com/"}, "The base URL must use https://"),
    ({"auth_url": "https://169.254.169.254/latest/"}, "The auth URL points at 169.254.169.254, a link-local address"),
    ({"settings": json.dumps({"instance_url": "https://intranet.example.com"})},
     "The setting instance_url points at intranet.example.com (10.1.2.3), a private address"),
    ({"settings": json.dumps({"webhook_url": "https://good.com@127.0.0.1/hook"})},
     "The setting webhook_url must not carry a user name or password"),
    ({"settings": json.dumps({"identity_url": "https://2130706433/id"})}, "non-standard form"),
])
def test_admin_refuses_to_save_a_connection_url_and_says_which(client, admin_user, production, changes, message):
    connection = ConnectionFactory(system="salesforce", base_url="https://api.example.com/")
    client.force_login(admin_user)
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    response = client.post(url, _form(connection, **changes))
    assert response.status_code == 200 and message in response.content.decode()
    stored = Connection.objects.get(pk=connection.pk)
    assert (stored.base_url, stored.auth_url, stored.settings) == ("https://api.example.com/", "", {})
    assert production["connects"] == []


def test_admin_saves_public_https_urls_in_production(client, admin_user, production):
    connection = ConnectionFactory(system="salesforce", base_url="https://api.example.com/")
    client.force_login(admin_user)
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    response = client.post(url, _form(connection, auth_url="https://good.com",
                                      settings=json.dumps({"instance_url": "https://dual.example.com"})))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Connection.objects.get(pk=connection.pk).settings == {"instance_url": "https://dual.example.com"}


def test_development_sandbox_connection_on_loopback_saves(client, admin_user, settings, no_network):
    settings.OUTBOUND_URLS_ALLOW_PRIVATE = True  # the development default
    connection = ConnectionFactory(base_url="http://127.0.0.1:8000/sandbox/freshbooks/")
    client.force_login(admin_user)
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    response = client.post(url, _form(connection, auth_url="http://127.0.0.1:8000/sandbox/freshbooks/"))
    assert response.status_code == 302, response.content.decode()[:2000]


def test_model_clean_refuses_the_same_urls(production):
    connection = Connection(name="x", system="freshbooks", base_url="https://10.0.0.8/",
                            settings={"webhook_url": "ftp://api.example.com/"})
    with pytest.raises(ValidationError) as caught:
        connection.full_clean()
    assert "a private address" in caught.value.message_dict["base_url"][0]
    assert "not ftp:" in caught.value.message_dict["settings"][0]


def test_ionapi_file_pointing_at_a_private_address_is_refused(production):
    document = {"ti": "T1", "cn": "app", "ci": "id", "cs": "secret", "iu": "https://intranet.example.com",
                "pu": "https://api.example.com/T1/as/", "oa": "authorization.oauth2", "ot": "token.oauth2",
                "or": "revoke_token.oauth2"}
    with pytest.raises(IonApiInvalid, match=r"iu \(.*\) points at intranet.example.com .*a private address"):
        ionapi_parse(json.dumps(document))


# -- token responses ---------------------------------------------------------------------------
@pytest.mark.parametrize("body_urls, message", [
    ({"instance_url": "https://169.254.169.254"}, "The instance URL in Salesforce's token response points at"),
    ({"instance_url": "http://api.example.com"}, "The instance URL in Salesforce's token response must use https"),
    ({"instance_url": "https://api.example.com", "id": "https://10.0.0.1/id/00D/005"},
     "The identity URL (id) in Salesforce's token response points at 10.0.0.1"),
])
def test_salesforce_token_response_with_a_refused_url_is_not_stored(production, body_urls, message):
    connection = ConnectionFactory(system="salesforce", base_url="https://api.example.com")
    body = {"access_token": "00D!token", "token_type": "Bearer", **body_urls}
    with pytest.raises(AuthError) as caught:
        token_set_from_response(connection=connection, body=body)
    assert message in caught.value.message and "were not stored" in caught.value.message


def test_salesforce_token_response_with_a_public_instance_is_accepted(production):
    connection = ConnectionFactory(system="salesforce", base_url="https://api.example.com")
    tokens = token_set_from_response(connection=connection, body={
        "access_token": "00D!token", "instance_url": "https://dual.example.com/",
        "id": "https://api.example.com/id/00D/005"})
    assert tokens.extra_settings == {"instance_url": "https://dual.example.com",
                                     "identity_url": "https://api.example.com/id/00D/005"}


# -- when a request is made --------------------------------------------------------------------
def test_http_client_refuses_a_host_that_now_resolves_to_a_private_address(production):
    """Saved while public; the resolver now answers 10.1.2.3: refused before any connection."""
    connection = ConnectionFactory(is_sandbox=False, base_url="https://intranet.example.com/api/")
    with pytest.raises(FatalError, match=r"FreshBooks was not called: The request URL points at "
                                         r"intranet\.example\.com \(10\.1\.2\.3\), a private address"):
        FreshBooksClient(connection).request("GET", "users/me", operation="identity")
    assert production["connects"] == []
    call = ApiCall.objects.get()
    assert call.status_code is None and "private address" in call.error


def test_salesforce_calls_through_simple_salesforce_are_refused_too(production):
    connection = ConnectionFactory(system="salesforce", is_sandbox=False, base_url="https://api.example.com",
                                   settings={"instance_url": "https://metadata.example.com"})
    connection.set_secrets(access_token="00D!token")
    connection.save()
    with pytest.raises(FatalError, match=r"metadata\.example\.com \(169\.254\.169\.254\), a link-local"):
        SalesforceClient(connection, urgent=True).query("SELECT Id FROM Account")
    assert production["connects"] == []


def test_a_sandbox_connection_is_no_exception_in_production(production):
    """is_sandbox is a box any admin can tick: only the deployment setting opens loopback."""
    connection = ConnectionFactory(is_sandbox=True, base_url="http://127.0.0.1:8000/sandbox/freshbooks/")
    with pytest.raises(FatalError, match="must use https://"):
        FreshBooksClient(connection).request("GET", "users/me", operation="identity")
    assert production["connects"] == []

""".ionapi validation and ION API tokens (password grant, client credentials, refresh, revoke)."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.connectors.infor.ionapi import (
    IonApiInvalid, connection_ionapi_connect, connection_ionapi_revoke, connection_ionapi_store, ionapi_parse,
)
from integrations.connectors.infor.m3 import M3Client
from integrations.errors import AuthError
from integrations.models import Connection
from integrations.sandbox.infor.models import AuthorizedApp
from monitoring.models import ApiCall
from tests.factories import ConnectionFactory

VALID = {"ti": "T1", "cn": "App", "ci": "T1~ci", "cs": "secret", "iu": "https://ion.example", "pu": "https://sso/T1/as/",
         "ot": "token.oauth2", "or": "revoke_token.oauth2", "saak": "T1#key", "sask": "skey"}


def test_parse_builds_urls_by_concatenation():
    creds = ionapi_parse(json.dumps(VALID))
    assert creds.grant == "password"
    assert creds.token_url == "https://sso/T1/as/token.oauth2"
    assert creds.revoke_url == "https://sso/T1/as/revoke_token.oauth2"
    assert creds.api_root == "https://ion.example/T1"


@pytest.mark.parametrize("change, message", [
    ({"saak": None}, "lacks saak (service account access key)"),
    ({"ci": "", "cs": None}, "lacks ci (client id), cs (client secret)"),
    ({"pu": "sso.example/T1/as/"}, "pu (authorization server URL) must be an http(s) URL"),
])
def test_parse_names_what_is_missing(change, message):
    data = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    with pytest.raises(IonApiInvalid) as caught:
        ionapi_parse(json.dumps(data), grant="password")
    assert message in str(caught.value)


def test_client_credentials_file_needs_no_service_account_keys():
    data = {k: v for k, v in VALID.items() if k not in ("saak", "sask")}
    assert ionapi_parse(json.dumps(data)).grant == "client_credentials"
    with pytest.raises(IonApiInvalid, match="not JSON"):
        ionapi_parse("ti=T1")


@pytest.mark.django_db
def test_store_keeps_the_file_encrypted_as_one_secret():
    connection = connection_ionapi_store(connection=ConnectionFactory(system="infor"), text=json.dumps(VALID))
    connection.refresh_from_db()
    assert connection.secret_names() == ["ionapi"]
    assert "skey" not in connection.secrets_encrypted and "secret" not in json.dumps(connection.settings)
    assert connection.base_url == "https://ion.example/T1" and connection.auth_kind == "ionapi"
    assert connection.settings["ionapi_tenant"] == "T1" and connection.settings["ionapi_grant"] == "password"


@pytest.mark.django_db(transaction=True)
def test_password_grant_gives_a_two_hour_token_and_a_refresh_token(m3_connection):
    connection_ionapi_connect(connection=m3_connection)
    stored = Connection.objects.get(pk=m3_connection.pk)
    assert stored.get_secret("access_token") and stored.get_secret("refresh_token")
    remaining = stored.token_expires_at - timezone.now()
    assert timedelta(minutes=119) < remaining <= timedelta(hours=2)
    assert ApiCall.objects.filter(operation="token:password", status_code=200).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("client_auth", ["body", "basic"])
def test_client_credentials_grant_with_body_or_basic_client_auth(m3_connection, client_auth):
    m3_connection.settings = {**m3_connection.settings, "ionapi_grant": "client_credentials",
                              "ionapi_client_auth": client_auth}
    m3_connection.save()
    assert M3Client(m3_connection).execute("CRS610MI", "LstByNumber") == []
    stored = Connection.objects.get(pk=m3_connection.pk)
    assert stored.get_secret("access_token") and not stored.get_secret("refresh_token")
    assert ApiCall.objects.filter(operation="token:client_credentials", status_code=200).exists()


@pytest.mark.django_db(transaction=True)
def test_an_expiring_token_is_renewed_with_the_refresh_token(m3_connection):
    client = M3Client(m3_connection)
    client.execute("CRS610MI", "LstByNumber")
    Connection.objects.filter(pk=m3_connection.pk).update(token_expires_at=timezone.now() + timedelta(seconds=30))
    m3_connection.refresh_from_db()
    client.execute("CRS610MI", "LstByNumber")
    ops = list(ApiCall.objects.filter(operation__startswith="token:").order_by("pk").values_list("operation", flat=True))
    assert ops == ["token:password", "token:refresh"]


@pytest.mark.django_db(transaction=True)
def test_revoke_ends_the_grant_and_the_next_call_signs_in_again(m3_connection):
    client = M3Client(m3_connection)
    client.execute("CRS610MI", "LstByNumber")
    old = Connection.objects.get(pk=m3_connection.pk)
    old_access, old_refresh = old.get_secret("access_token"), old.get_secret("refresh_token")
    connection_ionapi_revoke(connection=m3_connection)
    stored = Connection.objects.get(pk=m3_connection.pk)
    assert stored.get_secret("access_token") is None and stored.token_state == "none"
    assert ApiCall.objects.filter(operation__startswith="revoke:", status_code=200).count() == 2

    # The revoked tokens are dead at the gateway: a stale copy gets 401, then the grant again.
    stale = Connection.objects.get(pk=m3_connection.pk)
    stale.set_secrets(access_token=old_access, refresh_token=old_refresh)
    stale.token_expires_at = timezone.now() + timedelta(hours=1)
    stale.save()
    assert M3Client(stale).execute("CRS610MI", "LstByNumber") == []
    ops = list(ApiCall.objects.filter(operation__in=["CRS610MI/LstByNumber", "token:refresh", "token:password"])
               .order_by("pk").values_list("operation", "status_code"))
    assert ops[-4:] == [("CRS610MI/LstByNumber", 401), ("token:refresh", 400), ("token:password", 200),
                        ("CRS610MI/LstByNumber", 200)]


@pytest.mark.django_db(transaction=True)
def test_wrong_service_account_key_is_an_auth_error(m3_connection):
    AuthorizedApp.objects.update(service_account_secret_key="changed")
    with pytest.raises(AuthError) as caught:
        M3Client(m3_connection).execute("CRS610MI", "LstByNumber")
    assert "invalid_grant" in caught.value.message and "changed" not in caught.value.message
    assert ApiCall.objects.filter(operation="token:password").count() == 1  # refused once, not asked again
    assert Connection.objects.get(pk=m3_connection.pk).token_state == "failing"

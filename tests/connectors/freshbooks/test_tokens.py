"""Contract: OAuth against the simulator, token expiry mid-run, and single-flight refresh."""
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection as db
from django.utils import timezone

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.oauth import authorize_url, business_choose, code_exchange
from integrations.errors import AuthError, FatalError
from integrations.sandbox.freshbooks.faults import tokens_expire_all
from integrations.sandbox.freshbooks.models import SimMembership, SimToken
from integrations.sandbox.freshbooks.seed import sandbox_account_create
from monitoring.models import ApiCall

REDIRECT = "https://ledgerlink.example/connect/complete/freshbooks/"


def _approve(url: str) -> dict:
    """Play the person in the browser: open the authorize page, press Approve."""
    session = requests.Session()
    page = session.get(url, timeout=10)
    assert page.status_code == 200 and "Approve" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["approve"] = "1"
    answer = session.post(url.split("?")[0], data=fields, headers={"Referer": url}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def test_authorization_code_flow_and_identity(fb, fb_connection):
    fb_connection.set_secrets(access_token=None, refresh_token=None)
    fb_connection.save()
    back = _approve(authorize_url(fb_connection, redirect_uri=REDIRECT, state="xyz-123"))
    assert back["state"] == "xyz-123"
    tokens = code_exchange(fb_connection, code=back["code"], redirect_uri=REDIRECT)
    issued = SimToken.objects.get(access_token=tokens.access_token)
    assert tokens.refresh_token == issued.refresh_token
    assert tokens.expires_at == issued.created_at + timedelta(seconds=43200)  # created_at + expires_in
    with pytest.raises(AuthError, match="invalid_grant"):  # a code works once
        code_exchange(fb_connection, code=back["code"], redirect_uri=REDIRECT)

    fb_connection.set_secrets(access_token=tokens.access_token, refresh_token=tokens.refresh_token)
    identity = FreshBooksClient(fb_connection).identity()
    chosen = business_choose(identity)
    assert chosen == {"account_id": fb.account.account_id, "business_id": fb.account.business_id,
                      "business_uuid": str(fb.account.business_uuid), "name": "Test Books Inc", "role": "owner"}


def test_business_choice_with_several_memberships(fb, fb_client):
    second = sandbox_account_create(name="Second Co", owner=fb.user)
    client_only = sandbox_account_create(name="Their Supplier", owner=fb.user)
    SimMembership.objects.filter(account=client_only).update(role="client")
    identity = fb_client.identity()
    assert len(identity["business_memberships"]) == 3
    assert business_choose(identity)["account_id"] == fb.account.account_id  # first owned business
    assert business_choose(identity, account_id=second.account_id)["name"] == "Second Co"
    with pytest.raises(FatalError, match="is not one this login can use"):
        business_choose(identity, account_id=client_only.account_id)  # a client login has no account


def test_token_expiring_locally_is_refreshed_before_the_call(fb, fb_client):
    old = fb_client.connection.get_secret("access_token")
    fb_client.connection.token_expires_at = timezone.now() + timedelta(seconds=5)
    fb_client.connection.save()
    fb_client.clients.list()
    assert fb_client.connection.get_secret("access_token") != old
    assert list(ApiCall.objects.order_by("id").values_list("operation", "status_code")) == [
        ("oauth.refresh", 200), ("clients.list", 200)]


def test_token_expiry_mid_run_refreshes_once_and_carries_on(fb, fb_client):
    fb_client.clients.create({"organization": "Before"})
    tokens_expire_all(account=fb.account)  # the server expires every token between two calls
    fb_client.clients.create({"organization": "After"})
    fb_client.clients.create({"organization": "Again"})
    operations = list(ApiCall.objects.order_by("id").values_list("operation", "status_code"))
    assert operations == [("clients.create", 200), ("clients.create", 401), ("oauth.refresh", 200),
                          ("clients.create", 200), ("clients.create", 200)]
    assert fb_client.clients.list().total == 3
    assert SimToken.objects.filter(refreshed_from__isnull=False).count() == 1


WORKER = """
import json, os, sys, time
from pathlib import Path
import django
django.setup()
from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.models import Connection
go = Path(sys.argv[2])
deadline = time.monotonic() + 60
while not go.exists():  # a start line, so every worker meets the expired token together
    if time.monotonic() > deadline:
        sys.exit("start signal never came")
    time.sleep(0.01)
connection = Connection.objects.get(pk=int(sys.argv[1]))
total = FreshBooksClient(connection).clients.list().total
print(json.dumps({"total": total, "token": connection.get_secret("access_token")}))
"""


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_workers_refresh_exactly_once(pg_only, fb, fb_connection, tmp_path):
    tokens_expire_all(account=fb.account)
    settings = db.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test",
           "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"}
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(fb_connection.pk), str(go)], env=env,
                                cwd=Path(__file__).resolve().parents[3], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(4)]
    go.touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert SimToken.objects.filter(refreshed_from__isnull=False).count() == 1  # one refresh, not four
    assert ApiCall.objects.filter(operation="oauth.refresh").count() == 1
    new = SimToken.objects.get(refreshed_from__isnull=False).access_token
    assert {r["token"] for r in results} == {new} and {r["total"] for r in results} == {0}

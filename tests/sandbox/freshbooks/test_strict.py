"""Strict mode, as the real FreshBooks: only registered https redirect URIs without a query
string (http only for an app marked local sandbox), no unknown or unenabled scope (one rejects
the whole consent), and each API call needs the scope of what it touches."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations.sandbox.freshbooks.models import SimApp
from integrations.sandbox.freshbooks.seed import sandbox_app_create, sandbox_app_register

REGISTERED = "https://x.example/cb"


def authorize(fb, **params):
    query = {"client_id": fb.app.client_id, "response_type": "code", "redirect_uri": REGISTERED, "state": "s", **params}
    return requests.get(fb.url("oauth/authorize"), params=query, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("uri, why", [
    ("https://elsewhere.example/cb", "registered redirect URIs"),
    ("https://x.example/cb?next=1", "may not contain a query string"),
    ("http://x.example/cb", "must use https"),
])
def test_unregistered_insecure_or_query_redirect_uris_are_refused(fb, uri, why):
    answer = authorize(fb, redirect_uri=uri)
    assert answer.status_code == 400 and why in answer.text and "Location" not in answer.headers


def test_an_app_with_no_registered_uri_accepts_none(live_server):
    from tests.sandbox.freshbooks.fixtures import sandbox_make

    fb = sandbox_make(live_server, email="bare@fb.example")
    SimApp.objects.filter(pk=fb.app.pk).update(redirect_uris="")
    fb.app.refresh_from_db()
    assert authorize(fb).status_code == 400


def test_registration_refuses_http_and_query_strings_unless_local_sandbox(db):
    with pytest.raises(ValueError, match="https"):
        sandbox_app_create(client_id="a1", redirect_uris="http://127.0.0.1:8000/cb")
    with pytest.raises(ValueError, match="query string"):
        sandbox_app_create(client_id="a2", redirect_uris="https://x.example/cb?a=1")
    app = sandbox_app_create(client_id="a3", redirect_uris="http://127.0.0.1:8000/cb", local_sandbox=True)
    assert app.redirect_uri_problem("http://127.0.0.1:8000/cb") == ""


def test_a_local_sandbox_app_accepts_its_http_redirect(fb):
    sandbox_app_register(fb.app, redirect_uris=["http://127.0.0.1:8000/connect/complete/freshbooks/"],
                         local_sandbox=True)
    answer = authorize(fb, redirect_uri="http://127.0.0.1:8000/connect/complete/freshbooks/")
    assert answer.status_code == 200 and 'class="error"' not in answer.text


@pytest.mark.parametrize("scope", ["user:profile:write", "user:clients:read user:nonsense:read", "admin"])
def test_an_unknown_scope_rejects_the_whole_consent(fb, scope):
    answer = authorize(fb, scope=scope)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["error"] == ["invalid_scope"] and back["state"] == ["s"] and "code" not in back
    assert back["error_description"] == ["The requested scope is invalid, unknown, or malformed"]


def test_a_scope_the_app_does_not_enable_is_refused(fb):
    SimApp.objects.filter(pk=fb.app.pk).update(scopes="user:profile:read user:clients:read")
    assert "error=invalid_scope" in authorize(fb, scope="user:invoices:read").headers["Location"]
    assert authorize(fb, scope="user:clients:read").status_code == 200


def _call(fb, token, method, path, **kwargs):
    return requests.request(method, fb.url(f"accounting/account/{fb.account.account_id}/{path}"),
                            headers={"Authorization": f"Bearer {token.access_token}"}, timeout=10, **kwargs)


def test_each_call_needs_its_scope(fb):
    reader = fb.token(scope="user:clients:read")
    assert _call(fb, reader, "GET", "users/clients").status_code == 200
    refused = _call(fb, reader, "POST", "users/clients", json={"client": {"organization": "X"}})
    assert refused.status_code == 403
    error = refused.json()["response"]["errors"][0]
    assert error["errno"] == 1003 and error["value"] == "user:clients:write"
    assert _call(fb, reader, "GET", "invoices/invoices").status_code == 403
    assert _call(fb, reader, "GET", "expenses/categories").status_code == 403  # categories live with expenses
    profile_only = fb.token(scope="")
    me = requests.get(fb.url("auth/api/v1/users/me"), headers={"Authorization": f"Bearer {profile_only.access_token}"},
                      timeout=10)
    assert me.status_code == 200  # user:profile:read is granted to every app
    writer = fb.token(scope="user:clients:read user:clients:write")
    assert _call(fb, writer, "POST", "users/clients", json={"client": {"organization": "X"}}).status_code == 200


def test_registering_a_callback_needs_the_events_read_scope(fb):
    url = fb.url(f"events/account/{fb.account.account_id}/events/callbacks")
    body = {"callback": {"event": "invoice.create", "uri": "https://ll.example/hook"}}
    without = fb.token(scope="user:clients:read")
    refused = requests.post(url, json=body, headers={"Authorization": f"Bearer {without.access_token}"}, timeout=10)
    assert refused.status_code == 403 and "user:invoices:read" in refused.json()["message"]
    fb.account.options = {"callback_needs_event_scope": False}
    fb.account.save()
    allowed = requests.post(url, json=body, headers={"Authorization": f"Bearer {without.access_token}"}, timeout=10)
    assert allowed.status_code == 200, allowed.text


def test_items_need_the_configured_scope(fb):
    token = fb.token(scope="user:billable_items:read")
    assert _call(fb, token, "GET", "items/items").status_code == 200
    fb.account.options = {"items_scope_object": "items"}
    fb.account.save()
    assert _call(fb, token, "GET", "items/items").status_code == 403


def test_an_http_or_query_uri_stored_on_the_app_is_still_refused_at_authorize(fb):
    """An app row that lists such URIs anyway (written before strict mode) does not make them valid."""
    SimApp.objects.filter(pk=fb.app.pk).update(redirect_uris="http://x.example/cb\nhttps://x.example/cb?next=1")
    assert "must use https" in authorize(fb, redirect_uri="http://x.example/cb").text
    assert "query string" in authorize(fb, redirect_uri="https://x.example/cb?next=1").text

"""The simulator's documented quirks and error bodies, over raw HTTP."""
import pytest
import requests

from integrations.sandbox.freshbooks.models import SimObject, SimToken


@pytest.fixture
def api(fb):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fb.token().access_token}"
    base = fb.url(f"accounting/account/{fb.account.account_id}/")

    def call(method, path, **kwargs):
        return session.request(method, base + path, timeout=10, **kwargs)

    call.session, call.fb = session, fb
    return call


def _clients(fb, n):
    for i in range(n):
        SimObject.objects.create(account=fb.account, kind="client", data={"organization": f"C{i:03d}"})


def test_paging_defaults_cap_page_zero_and_past_the_end(api):
    _clients(api.fb, 120)
    default = api("GET", "users/clients").json()["response"]["result"]
    assert (default["page"], default["pages"], default["per_page"], default["total"], len(default["clients"])) == (1, 8, 15, 120, 15)
    capped = api("GET", "users/clients", params={"per_page": 500}).json()["response"]["result"]
    assert (capped["per_page"], len(capped["clients"]), capped["pages"]) == (100, 100, 2)
    zero = api("GET", "users/clients", params={"page": 0}).json()["response"]["result"]
    assert zero["page"] == 1 and zero["clients"][0]["organization"] == "C000"
    beyond = api("GET", "users/clients", params={"page": 99}).json()["response"]["result"]
    assert beyond["clients"] == [] and beyond["total"] == 120


def test_empty_list_has_zero_pages(api):
    assert api("GET", "taxes/taxes").json() == {"response": {"result": {
        "taxes": [], "page": 1, "pages": 0, "per_page": 15, "total": 0}}}


@pytest.mark.parametrize("params, errno", [({"page": "-1"}, 1014), ({"page": "abc"}, 1014), ({"per_page": "x"}, 1013)])
def test_bad_paging_is_an_error_body(api, params, errno):
    response = api("GET", "users/clients", params=params)
    assert response.status_code == 400 and response.json()["response"]["errors"][0]["errno"] == errno


def test_update_phase_vis_state_drops_other_fields(api):
    client = api("POST", "users/clients", json={"client": {"organization": "Before"}}).json()["response"]["result"]["client"]
    answer = api("PUT", f"users/clients/{client['id']}", json={"client": {"vis_state": 2, "organization": "After"}})
    archived = answer.json()["response"]["result"]["client"]
    assert (archived["vis_state"], archived["organization"]) == (2, "Before")
    assert api("GET", "users/clients").json()["response"]["result"]["total"] == 1  # archived are listed


def test_invoice_action_phase_ignores_other_fields(api):
    client = api("POST", "users/clients", json={"client": {"organization": "X"}}).json()["response"]["result"]["client"]
    invoice = api("POST", "invoices/invoices", json={"invoice": {"customerid": client["id"], "create_date": "2030-01-01",
                                                                   "lines": []}}).json()["response"]["result"]["invoice"]
    sent = api("PUT", f"invoices/invoices/{invoice['id']}",
               json={"invoice": {"action_mark_as_sent": True, "notes": "ignored"}}).json()["response"]["result"]["invoice"]
    assert (sent["status"], sent["v3_status"], sent["notes"]) == (2, "sent", "")


def test_client_created_from_email_only_gets_it_as_organization(api):
    made = api("POST", "users/clients", json={"client": {"email": "john.doe@abcorp.com"}}).json()
    assert made["response"]["result"]["client"]["organization"] == "john.doe@abcorp.com"


@pytest.mark.parametrize("method, path, body, status, errno", [
    ("POST", "users/clients", b"{not json", 400, 1005),
    ("POST", "users/clients", b"[1, 2]", 400, 1005),
    ("POST", "users/clients", b'{"organization": "no wrapper"}', 400, 1005),
    ("POST", "users/clients", b'{"client": {}}', 422, 7012),
    ("POST", "invoices/invoices", b'{"invoice": {"customerid": "abc", "create_date": "2024-01-01"}}', 422, 1015),
    ("POST", "invoices/invoices", b'{"invoice": {"customerid": 1, "create_date": "01/02/2024"}}', 422, 1033),
    ("POST", "invoices/invoices", b'{"invoice": {"customerid": 999999, "create_date": "2024-01-01"}}', 422, 1012),
    ("POST", "payments/payments", b'{"payment": {"amount": {"amount": "ten"}}}', 422, 1015),
    ("POST", "expenses/categories", b'{"category": {"category": "New"}}', 405, 1003),
    ("GET", "users/clients/abc", None, 404, 1012),
    ("GET", "users/clients/999999", None, 404, 1012),
    ("GET", "no/such/thing", None, 404, 1012),
    ("GET", "nothing/here", None, 404, 1012),
    ("DELETE", "users/clients/1", None, 404, 1012),
    ("GET", "users/clients?search[nonsense]=1", None, 400, 1037),
    ("GET", "users/clients?search[updated_min]=yesterday", None, 400, 1023),
])
def test_malformed_requests_get_accounting_error_bodies(api, method, path, body, status, errno):
    response = api(method, path, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text[:300]
    error = response.json()["response"]["errors"][0]
    assert error["errno"] == errno and set(error) == {"errno", "field", "message", "object", "value"}


def test_unauthenticated_requests_get_each_familys_401_body(fb):
    accounting = requests.get(fb.url(f"accounting/account/{fb.account.account_id}/users/clients"), timeout=10)
    assert accounting.status_code == 401 and accounting.json()["response"]["errors"][0]["errno"] == 1003
    events = requests.get(fb.url(f"events/account/{fb.account.account_id}/events/callbacks"),
                          headers={"Authorization": "Bearer nope"}, timeout=10)
    assert events.status_code == 401 and events.json() == {
        "errno": 401, "message": "invalid_token: The request token failed to authenticate or validate."}
    me = requests.get(fb.url("auth/api/v1/users/me"), timeout=10)
    assert me.status_code == 401 and me.json() == {
        "error": "unauthenticated", "error_description": "This action requires authentication to continue."}


def test_another_accounts_data_is_refused(api, fb):
    other = requests.get(fb.url("accounting/account/NOTMINE/users/clients"), headers=api.session.headers, timeout=10)
    assert other.status_code == 403 and other.json()["response"]["errors"][0]["errno"] == 1003


def test_callback_validation_errors_and_delete(api, fb):
    url = fb.url(f"events/account/{fb.account.account_id}/events/callbacks")
    bad = api.session.post(url, json={"callback": {"event": "nonsense.thing", "uri": "not a url"}}, timeout=10)
    assert bad.status_code == 422 and bad.json()["details"] == [
        "event: Value error, Unrecognized event.", "uri: Input should be a valid URL, relative URL without a base"]
    made = api.session.post(url, json={"callback": {"event": "invoice.create", "uri": "https://example.com/hook"}},
                            timeout=10).json()["response"]["result"]["callback"]
    assert made["verified"] is False and set(made) == {"callbackid", "verified", "uri", "event", "updated_at"}
    wrong = api.session.put(f"{url}/{made['callbackid']}", json={"callback": {"verifier": "wrong"}}, timeout=10)
    assert wrong.status_code == 422
    listed = api.session.get(url, params={"search[event]": "invoice.create"}, timeout=10).json()["response"]["result"]
    assert listed["total"] == 1
    assert api.session.delete(f"{url}/{made['callbackid']}", timeout=10).status_code == 204
    missing = api.session.get(f"{url}/{made['callbackid']}", timeout=10)
    assert missing.status_code == 404 and missing.json() == {"errno": 404, "message": "Requested resource could not be found."}


# -- the token endpoint ---------------------------------------------------------------------------
def _refresh_params(fb, refresh_token):
    return {"client_id": fb.app.client_id, "client_secret": fb.app.client_secret, "grant_type": "refresh_token",
            "redirect_uri": "https://example.com/cb", "refresh_token": refresh_token}


@pytest.mark.parametrize("encoding", ["form", "json", "multipart"])
def test_token_endpoint_accepts_every_encoding_and_refresh_is_single_use(fb, encoding):
    params = _refresh_params(fb, fb.token().refresh_token)
    send = {"form": {"data": params}, "json": {"json": params},
            "multipart": {"files": {k: (None, v) for k, v in params.items()}}}[encoding]
    first = requests.post(fb.url("auth/oauth/token"), timeout=10, **send)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "scope", "created_at"}
    assert body["expires_in"] == 43200 and body["token_type"] == "Bearer"
    again = requests.post(fb.url("auth/oauth/token"), timeout=10, **send)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_token_endpoint_rejects_bad_clients_and_grants(fb):
    params = _refresh_params(fb, fb.token().refresh_token)
    wrong_secret = requests.post(fb.url("auth/oauth/token"), data={**params, "client_secret": "x"}, timeout=10)
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    grant = requests.post(fb.url("auth/oauth/token"), data={**params, "grant_type": "password"}, timeout=10)
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    junk = requests.post(fb.url("auth/oauth/token"), data=b"{oops", headers={"Content-Type": "application/json"}, timeout=10)
    assert junk.status_code == 400 and junk.json()["error"] == "invalid_request"


def test_configurable_token_lifetime_and_revoke(fb):
    fb.app.token_lifetime_seconds = 60
    fb.app.save()
    token = fb.token()
    assert (token.expires_at - token.created_at).total_seconds() == 60
    assert requests.post(fb.url("auth/oauth/revoke"), data={"token": token.access_token}, timeout=10).json() == {}
    assert SimToken.objects.get(pk=token.pk).revoked_at is not None
    me = requests.get(fb.url("auth/api/v1/users/me"), headers={"Authorization": f"Bearer {token.access_token}"}, timeout=10)
    assert me.status_code == 401


def test_authorize_page_rejects_unknown_clients_and_redirects_denials(fb):
    unknown = requests.get(fb.url("oauth/authorize"), params={"client_id": "who", "response_type": "code",
                                                              "redirect_uri": "https://x.example/cb"}, timeout=10)
    assert unknown.status_code == 400 and "Unknown client_id" in unknown.text
    bad_type = requests.get(fb.url("oauth/authorize"), params={"client_id": fb.app.client_id, "response_type": "token",
                                                               "redirect_uri": "https://x.example/cb", "state": "s"},
                            allow_redirects=False, timeout=10)
    assert bad_type.status_code == 302 and bad_type.headers["Location"] == (
        "https://x.example/cb?error=unsupported_response_type&state=s")

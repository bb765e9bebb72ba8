"""PRODUCT.md "simulator OAuth apps": each simulator's page shows its OAuth app's client id and
secret, as a vendor's console would, and an outside client gets tokens with them through the
simulator's own OAuth flow, over HTTP, then makes an API call."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import requests

from tests.sandbox.freshbooks.fixtures import fb  # noqa: F401 (fixture)
from tests.sandbox.salesforce.fixtures import sf_app, sf_root  # noqa: F401 (fixtures)


def shown(page: str, css_class: str) -> str:
    """The first value the page shows in <code class="…">."""
    match = re.search(rf'<code class="{css_class}">([^<]*)</code>', page)
    assert match, f"the page shows no {css_class}"
    return html.unescape(match.group(1))


def hidden_inputs(page: str) -> dict:
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def test_salesforce_connected_app_from_its_page(sf_root, sf_app):  # noqa: F811
    page = requests.get(sf_root + "/", timeout=10).text
    key, secret, callback = shown(page, "client-id"), shown(page, "client-secret"), shown(page, "redirect-uri")
    params = {"response_type": "code", "client_id": key, "redirect_uri": callback, "state": "outside"}
    assert requests.get(f"{sf_root}/services/oauth2/authorize", params=params, timeout=10).status_code == 200
    allowed = requests.post(f"{sf_root}/services/oauth2/authorize", data={**params, "decision": "allow"},
                            allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(allowed.headers["Location"]).query)["code"][0]
    token = requests.post(f"{sf_root}/services/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": key, "client_secret": secret,
        "redirect_uri": callback}, timeout=10).json()
    limits = requests.get(f"{token['instance_url']}/services/data/v62.0/limits/",
                          headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert limits.status_code == 200 and "DailyApiRequests" in limits.json()


def test_freshbooks_app_from_its_page(fb):  # noqa: F811
    page = requests.get(fb.root, timeout=10).text
    client_id, secret, redirect = shown(page, "client-id"), shown(page, "client-secret"), shown(page, "redirect-uri")
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect,
             "scope": "user:profile:read user:clients:read", "state": "outside"}
    browser = requests.Session()  # the consent page is a form with a CSRF cookie, as in a browser
    consent = browser.get(fb.url("oauth/authorize"), params=query, timeout=10)
    approved = browser.post(fb.url("oauth/authorize"), data={**hidden_inputs(consent.text), "approve": "1"},
                             allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
    token = requests.post(fb.url("auth/oauth/token"), data={
        "grant_type": "authorization_code", "code": code, "client_id": client_id, "client_secret": secret,
        "redirect_uri": redirect}, timeout=10).json()
    clients = requests.get(fb.url(f"accounting/account/{fb.account.account_id}/users/clients"),
                           headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert clients.status_code == 200 and "clients" in clients.json()["response"]["result"]


def test_infor_authorized_app_from_its_page(live_server, transactional_db):
    root = f"{live_server.url}/sandbox/infor/"
    page = requests.get(root, timeout=10).text
    client_id, secret = shown(page, "client-id"), shown(page, "client-secret")
    tenant = client_id.split("~")[0]
    token = requests.post(f"{root}{tenant}/as/token.oauth2", data={
        "grant_type": "password", "username": shown(page, "saak"), "password": shown(page, "sask"),
        "client_id": client_id, "client_secret": secret}, timeout=10).json()
    customers = requests.get(f"{root}{tenant}/M3/m3api-rest/v2/execute/CRS610MI/LstByNumber",
                             headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert customers.status_code == 200 and "results" in customers.json()

"""The FreshBooks simulator is as strict as the real service (issue 20): an overpaying payment's
create reply names its credit, the page's SDK base URL works with the official SDK as shown,
the expense form picks categories and staff, and quantities read as written. Real HTTP."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from freshbooks import Client

from tests.live_http import close_http_sessions  # noqa: F401  (autouse: no keep-alive thread outlives a test)

REDIRECT = "https://ledgerlink.example/callback"


@pytest.fixture
def api(fb):
    session = requests.Session()
    # Strict scopes: this test also reads credit notes, which no flow does (not in FRESHBOOKS_SCOPES).
    scope = " ".join([*settings.FRESHBOOKS_SCOPES, "user:credit_notes:read"])
    session.headers["Authorization"] = f"Bearer {fb.token(scope=scope).access_token}"
    base = fb.url(f"accounting/account/{fb.account.account_id}/")

    def call(method, path, **kwargs):
        answer = session.request(method, base + path, timeout=10, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()["response"]["result"]
    return call


def _invoice(api, qty="10", unit="10.00") -> dict:
    client = api("POST", "users/clients", json={"client": {"organization": "Overpayers Ltd"}})["client"]
    return api("POST", "invoices/invoices", json={"invoice": {
        "customerid": client["id"], "create_date": "2026-03-01",
        "lines": [{"name": "Widget", "qty": qty, "unit_cost": {"amount": unit, "code": "USD"}}]}})["invoice"]


def test_overpaying_payment_create_reply_carries_its_overpaymentid(api):
    invoice = _invoice(api)  # 100.00
    created = api("POST", "payments/payments", json={"payment": {
        "invoiceid": invoice["id"], "amount": {"amount": "150.00", "code": "USD"}, "date": "2026-03-02",
        "type": "Check"}})["payment"]
    assert created["overpaymentid"] is not None
    assert api("GET", f"payments/payments/{created['id']}")["payment"]["overpaymentid"] == created["overpaymentid"]
    credit = api("GET", f"credit_notes/credit_notes/{created['overpaymentid']}")["credit_note"]
    assert credit["credit_type"] == "overpayment" and credit["amount"]["amount"] == "50.00"
    exact = api("POST", "payments/payments", json={"payment": {
        "invoiceid": _invoice(api)["id"], "amount": {"amount": "100.00", "code": "USD"}, "date": "2026-03-02",
        "type": "Check"}})["payment"]
    assert exact["overpaymentid"] is None


def test_the_pages_sdk_base_url_works_with_the_official_sdk(fb, monkeypatch):
    page = requests.get(fb.root, timeout=10)
    base_url = re.search(r"FRESHBOOKS_AUTH_URL</code>.*?<code[^>]*>([^<]+)</code>", page.text, re.S).group(1)
    monkeypatch.setenv("FRESHBOOKS_API_URL", base_url)  # exactly as the page says
    monkeypatch.setenv("FRESHBOOKS_AUTH_URL", base_url)
    sdk = Client(client_id=fb.app.client_id, client_secret=fb.app.client_secret, redirect_uri=REDIRECT)
    browser = requests.Session()
    consent = browser.get(sdk.get_auth_request_url(["user:profile:read", "user:clients:write"]), timeout=10)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    approved = browser.post(consent.url.split("?")[0], data={**fields, "approve": "1"}, allow_redirects=False,
                            timeout=10)
    sdk.get_access_token(parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0])
    assert sdk.current_user().email == fb.user.email
    assert sdk.clients.create(fb.account.account_id, {"organization": "Via the page's URL"}).organization == \
        "Via the page's URL"
    assert base_url == fb.root.rstrip("/")


def _form_token(session: requests.Session, url: str) -> tuple[str, str]:
    page = session.get(url, timeout=10)
    assert page.status_code == 200
    return page.text, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_expense_form_offers_category_and_staff_pickers(fb, api):
    url = fb.url(f"accounts/{fb.account.account_id}/expense/")
    browser = requests.Session()
    html, token = _form_token(browser, url)
    categories = dict((label, value) for value, label in re.findall(
        r'<option value="(\d+)">([^<]+)</option>', html.split('name="categoryid"', 1)[1].split("</select>", 1)[0]))
    staff = re.findall(r'<option value="(\d+)">([^<]+)</option>',
                       html.split('name="staffid"', 1)[1].split("</select>", 1)[0])
    assert staff == [("1", "Sam Owner")]  # the owner is staff member 1
    travel = next(value for label, value in categories.items() if label.endswith("Travel"))
    created = browser.post(url, data={"csrfmiddlewaretoken": token, "amount": "42.50", "categoryid": travel,
                                      "staffid": "1", "date": "2026-03-05", "vendor": "Rail Co"},
                           headers={"Referer": url}, timeout=10)
    assert created.status_code == 200 and "Created expense" in created.text
    expense = api("GET", "expenses/expenses")["expenses"][0]
    assert (str(expense["categoryid"]), expense["staffid"], expense["vendor"]) == (travel, 1, "Rail Co")
    detail = browser.get(fb.url(f"accounts/{fb.account.account_id}/expense/{expense['id']}/"), timeout=10).text
    assert re.search(rf'<option value="{travel}" selected>', detail)


@pytest.mark.parametrize("qty, shown", [("10", "10"), (100, "100"), ("2.50", "2.5"), ("1000", "1000")])
def test_quantities_read_as_written(fb, api, qty, shown):
    invoice = _invoice(api, qty=qty)
    line = api("GET", f"invoices/invoices/{invoice['id']}", params={"include[]": "lines"})["invoice"]["lines"][0]
    assert line["qty"] == shown
    page = requests.get(fb.url(f"accounts/{fb.account.account_id}/invoice/{invoice['id']}/"), timeout=10).text
    assert f'name="line_qty" size="5" value="{shown}"' in page and "E+" not in page

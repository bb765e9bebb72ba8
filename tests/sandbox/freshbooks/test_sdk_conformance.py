"""Conformance: the official `freshbooks-sdk` from PyPI, unmodified, against the simulator.

FRESHBOOKS_API_URL and FRESHBOOKS_AUTH_URL point at /sandbox/freshbooks (PRODUCT.md's URL
contract); everything goes over real HTTP.
"""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from freshbooks import Client, FilterBuilder, IncludesBuilder, PaginateBuilder, SortBuilder
from freshbooks.errors import FreshBooksError
from freshbooks.models import VisState

from integrations.sandbox.freshbooks.deliveries import deliveries_drain
from integrations.sandbox.freshbooks.models import SimCallback, SimDelivery

REDIRECT = "https://ledgerlink.example/callback"


@pytest.fixture
def sdk(fb, monkeypatch):
    root = fb.root.rstrip("/")
    monkeypatch.setenv("FRESHBOOKS_API_URL", root)
    monkeypatch.setenv("FRESHBOOKS_AUTH_URL", root)
    client = Client(client_id=fb.app.client_id, client_secret=fb.app.client_secret, redirect_uri=REDIRECT)
    session = requests.Session()
    page = session.get(client.get_auth_request_url(settings.FRESHBOOKS_SCOPES), timeout=10)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    approved = session.post(page.url.split("?")[0], data={**fields, "approve": "1"}, allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
    client.get_access_token(code)
    return client


def test_auth_refresh_and_identity(sdk, fb):
    first = sdk.access_token
    refreshed = sdk.refresh_access_token()
    assert refreshed.access_token != first and refreshed.access_token_expires_at > refreshed.access_token_expires_at.now(
        refreshed.access_token_expires_at.tzinfo)
    me = sdk.current_user()
    assert me.email == fb.user.email
    business = me.business_memberships[0].business
    assert (business.account_id, business.id) == (fb.account.account_id, fb.account.business_id)


def test_clients(sdk, fb):
    account = fb.account.account_id
    created = sdk.clients.create(account, {"fname": "John", "lname": "Doe", "email": "john.doe@abcorp.com",
                                           "organization": "AB Corp"})
    assert created.organization == "AB Corp" and created.userid == created.id
    assert sdk.clients.get(account, created.id).email == "john.doe@abcorp.com"
    filters = FilterBuilder().like("organization_like", "AB C")
    listed = sdk.clients.list(account, builders=[filters, PaginateBuilder(1, 5), SortBuilder().ascending("organization")])
    assert (len(listed), listed.pages.total, listed.pages.per_page) == (1, 1, 5)
    assert sdk.clients.update(account, created.id, {"organization": "AB Corporation"}).organization == "AB Corporation"
    sdk.clients.delete(account, created.id)
    assert sdk.clients.get(account, created.id).vis_state == VisState.DELETED
    with pytest.raises(FreshBooksError) as caught:
        sdk.clients.get(account, 999999)
    assert (caught.value.status_code, caught.value.error_code, str(caught.value)) == (404, 1012, "Client not found.")


def test_invoices_with_lines_and_payments(sdk, fb):
    account = fb.account.account_id
    customer = sdk.clients.create(account, {"organization": "Melmac"})
    invoice = sdk.invoices.create(account, {
        "customerid": customer.id, "create_date": "2024-04-16", "due_offset_days": 5,
        "lines": [{"name": "Fancy Dishes", "description": "Some tasty dishes", "qty": 6,
                   "unit_cost": {"amount": "27.00", "code": "USD"}}]})
    assert invoice.invoice_number == "0000001" and invoice.amount.amount == "162.00"
    with_lines = sdk.invoices.get(account, invoice.id, includes=IncludesBuilder().include("lines"))
    assert [line.name for line in with_lines.lines] == ["Fancy Dishes"]
    assert with_lines.lines[0].unit_cost.amount == "27.00"
    sent = sdk.invoices.update(account, invoice.id, {"action_mark_as_sent": True})
    assert sent.status == 2

    payment = sdk.payments.create(account, {"invoiceid": invoice.id, "amount": {"amount": "100.00", "code": "USD"},
                                            "date": "2024-04-20", "type": "Cash"})
    assert payment.amount.amount == "100.00" and payment.clientid == customer.id
    partial = sdk.invoices.get(account, invoice.id)
    assert (partial.payment_status, partial.outstanding.amount) == ("partial", "62.00")
    payments = sdk.payments.list(account, builders=[FilterBuilder().equals("invoiceid", invoice.id)])
    assert [p.id for p in payments] == [payment.id]
    sdk.payments.delete(account, payment.id)
    assert sdk.invoices.get(account, invoice.id).payment_status == "unpaid"

    sdk.invoices.delete(account, invoice.id)  # the Python SDK deletes invoices with HTTP DELETE
    assert sdk.invoices.get(account, invoice.id).vis_state == VisState.DELETED


def test_expenses_and_categories(sdk, fb):
    account = fb.account.account_id
    categories = sdk.expenses_categories.list(account, builders=[PaginateBuilder(1, 100)])
    category = next(c for c in categories if c.category == "Meals and Entertainment")
    expense = sdk.expenses.create(account, {"amount": {"amount": "54.00", "code": "USD"}, "categoryid": category.id,
                                            "date": "2024-07-19", "staffid": 1, "vendor": "Serano Bakery",
                                            "notes": "For lunch"})
    assert expense.vendor == "Serano Bakery" and expense.amount.amount == "54.00"
    assert sdk.expenses.update(account, expense.id, {"notes": "Team lunch"}).notes == "Team lunch"
    assert len(sdk.expenses.list(account, builders=[FilterBuilder().between("amount", min=50)])) == 1
    sdk.expenses.delete(account, expense.id)
    assert len(sdk.expenses.list(account)) == 0


def test_callbacks(sdk, fb, live_server):
    account = fb.account.account_id
    uri = f"{live_server.url}/sandbox/"  # any URL that answers 200 for the verification POST
    callback = sdk.callbacks.create(account, {"event": "invoice.create", "uri": uri})
    assert (callback.event, callback.verified) == ("invoice.create", False)
    deliveries_drain()
    delivery = SimDelivery.objects.get(name="callback.verify")
    verifier = parse_qs(delivery.body)["verifier"][0]
    assert verifier == SimCallback.objects.get(pk=callback.callbackid).verifier
    assert sdk.callbacks.verify(account, callback.callbackid, verifier).verified is True
    assert sdk.callbacks.resend_verification(account, callback.callbackid).callbackid == callback.callbackid
    listed = sdk.callbacks.list(account, builders=[FilterBuilder().equals("event", "invoice.create")])
    assert [c.callbackid for c in listed] == [callback.callbackid]
    assert sdk.callbacks.get(account, callback.callbackid).uri == uri
    sdk.callbacks.delete(account, callback.callbackid)
    with pytest.raises(FreshBooksError) as caught:
        sdk.callbacks.get(account, callback.callbackid)
    assert (caught.value.status_code, str(caught.value)) == (404, "Requested resource could not be found.")
    with pytest.raises(FreshBooksError) as invalid:
        sdk.callbacks.create(account, {"event": "nonsense", "uri": "x"})
    assert invalid.value.error_code == 422 and "event: Value error, Unrecognized event." in invalid.value.error_details

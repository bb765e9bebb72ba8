"""The simulator's pages, as a person uses them in a browser."""
import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox.freshbooks.models import SimAccount, SimObject, SimToken
from integrations.sandbox.freshbooks.seed import sandbox_demo_seed
from integrations.sandbox.freshbooks.views_auth import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    app, user, account = sandbox_demo_seed()
    return account


def url(name, *args):
    return reverse(f"sandbox_freshbooks:{name}", args=args)


def test_index_and_account_page(client, demo):
    assert demo.name in client.get(url("index")).content.decode()
    page = client.get(url("account", demo.account_id)).content.decode()
    assert "Fault injection" in page and "Expire all tokens now" in page and "owner@demo-freshbooks.example" in page


def test_fault_switches_and_token_expiry_from_the_page(client, demo):
    fields = {"action": "faults", "fault_429_remaining": "2", "fault_retry_after": "7", "fault_5xx_status": "500",
              "fault_latency_ms": "0"}
    client.post(url("account", demo.account_id), fields)
    demo.refresh_from_db()
    assert (demo.fault_429_remaining, demo.fault_retry_after, demo.fault_5xx_status) == (2, 7, 500)
    bad = client.post(url("account", demo.account_id), {**fields, "fault_5xx_status": "418"}, follow=True)
    assert "Not saved" in bad.content.decode()
    app, user, _ = sandbox_demo_seed()
    token = token_issue(app=app, user=user, scope="")
    client.post(url("account", demo.account_id), {"action": "expire_tokens"})
    assert SimToken.objects.get(pk=token.pk).expires_at <= timezone.now()
    client.post(url("account", demo.account_id), {"action": "options", "options": '{"invoice_lines_replace_on_update": false}'})
    assert SimAccount.objects.get(pk=demo.pk).option("invoice_lines_replace_on_update") is False


def test_clients_list_create_and_edit(client, demo):
    listed = client.get(url("records", demo.account_id, "client")).content.decode()
    assert "American Cyanamid" in listed
    created = client.post(url("records", demo.account_id, "client"), {"organization": "Page Co", "email": "a@b.example"})
    obj = SimObject.objects.get(kind="client", data__organization="Page Co")
    assert created["Location"] == url("record", demo.account_id, "client", obj.pk)
    client.post(created["Location"], {"action": "save", "organization": "Page Company", "email": "a@b.example"})
    obj.refresh_from_db()
    assert obj.data["organization"] == "Page Company"
    empty = client.post(url("records", demo.account_id, "client"), {}, follow=True)
    assert "At least one field among fname, lname, email and organization is required." in empty.content.decode()


def test_invoice_with_lines_mark_sent_and_record_payment(client, demo):
    customer = SimObject.objects.filter(account=demo, kind="client").first()
    created = client.post(url("records", demo.account_id, "invoice"), {
        "customerid": customer.pk, "create_date": "2030-01-01", "line_name": "Consulting", "line_qty": "3",
        "line_cost": "100"})
    invoice = SimObject.objects.get(kind="invoice")
    page = client.get(created["Location"]).content.decode()
    assert "Consulting" in page and "300.00" in page
    client.post(created["Location"], {"action": "save", "customerid": customer.pk, "create_date": "2030-01-01",
                                      "line_name": ["Consulting", "Travel"], "line_qty": ["3", "1"],
                                      "line_cost": ["100", "50"]})
    invoice.refresh_from_db()
    assert invoice.data["amount"]["amount"] == "350.00"
    client.post(created["Location"], {"action": "mark_sent"})
    client.post(created["Location"], {"action": "pay", "pay_amount": "350.00", "pay_date": "2030-01-05", "pay_type": "Cash"})
    invoice.refresh_from_db()
    assert (invoice.data["status"], invoice.data["payment_status"], invoice.data["date_paid"]) == (4, "paid", "2030-01-05")
    assert "2030-01-05" in client.get(created["Location"]).content.decode()


def test_payments_expenses_and_deliveries_pages(client, demo):
    for kind in ("payment", "expense"):
        assert client.get(url("records", demo.account_id, kind)).status_code == 200
    assert client.get(url("records", demo.account_id, "nonsense")).status_code == 404
    assert "Webhook deliveries" in client.get(url("deliveries", demo.account_id)).content.decode()
    assert client.post(url("deliveries", demo.account_id), {"action": "send"}).status_code == 302

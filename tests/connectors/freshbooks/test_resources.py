"""Contract: every resource the client offers, against the simulator over real HTTP."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.connectors.freshbooks.values import accounting_datetime, money_amount
from integrations.errors import FatalError
from integrations.sandbox.freshbooks.models import SimObject
from monitoring.models import ApiCall


def _client_record(fb_client, **extra):
    return fb_client.clients.create({"fname": "Gordon", "lname": "Shumway", "organization": "Melmac Ltd",
                                     "email": "gordon@melmac.example", **extra})


def _invoice(fb_client, customer_id, *lines):
    lines = lines or ({"name": "Bowls", "qty": 4, "unit_cost": {"amount": "5.00", "code": "USD"}},)
    return fb_client.invoices.create({"customerid": customer_id, "create_date": "2024-03-01", "due_offset_days": 30,
                                      "lines": list(lines)})


def test_clients_crud_and_soft_delete(fb_client):
    created = _client_record(fb_client, p_city="Toronto")
    assert created["id"] == created["userid"] and created["organization"] == "Melmac Ltd"
    assert fb_client.clients.get(created["id"])["p_city"] == "Toronto"

    updated = fb_client.clients.update(created["id"], {"organization": "Melmac Holdings", "note": "VIP"})
    assert (updated["organization"], updated["note"]) == ("Melmac Holdings", "VIP")

    deleted = fb_client.clients.delete(created["id"])
    assert deleted["vis_state"] == 1
    assert fb_client.clients.list().total == 0  # deleted records are hidden by default
    assert [c["id"] for c in fb_client.clients.list(search={"vis_state": 1}).items] == [created["id"]]


def test_client_lists_filter_by_equals_like_in_and_updated(fb_client):
    first = _client_record(fb_client)
    second = fb_client.clients.create({"organization": "Tanner Family", "email": "willie@tanner.example"})
    assert [c["id"] for c in fb_client.clients.list(search={"email": "GORDON@melmac.example"}).items] == [first["id"]]
    assert [c["id"] for c in fb_client.clients.list(search={"organization_like": "tann"}).items] == [second["id"]]
    both = fb_client.clients.list(search={"userids": [first["id"], second["id"]]}, sort="organization_desc").items
    assert [c["id"] for c in both] == [second["id"], first["id"]]
    today = timezone.now()
    assert fb_client.clients.list(search={"updated_min": today - timedelta(days=1)}).total == 2
    assert fb_client.clients.list(search={"updated_min": today + timedelta(days=2)}).total == 0
    assert fb_client.clients.list(search={"updated_max": today + timedelta(days=2)}).total == 2


def test_client_balance_includes(fb_client):
    customer = _client_record(fb_client)
    invoice = _invoice(fb_client, customer["id"])
    fb_client.invoices.mark_as_sent(invoice["id"])
    got = fb_client.clients.get(customer["id"], include=["outstanding_balance"])
    assert got["outstanding_balance"] == [{"amount": {"amount": "20.00", "code": "USD"}}]


def test_invoice_with_lines_numbering_actions_and_delete(fb_client):
    customer = _client_record(fb_client)
    invoice = _invoice(fb_client, customer["id"],
                       {"name": "Bowls", "qty": 4, "unit_cost": {"amount": "5.00", "code": "USD"}, "taxName1": "HST",
                        "taxAmount1": "13"},
                       {"name": "Cups", "qty": "1.5", "unit_cost": {"amount": "3.33", "code": "USD"}})
    assert invoice["invoice_number"] == "0000001" and invoice["status"] == 1 and invoice["v3_status"] == "draft"
    assert invoice["due_date"] == "2024-03-31" and invoice["customerid"] == customer["id"]
    assert [line["amount"]["amount"] for line in invoice["lines"]] == ["20.00", "5.00"]
    assert money_amount(invoice["amount"]) == Decimal("27.60")  # 20 + 5.00 (1.5 × 3.33 rounded) + 13% of 20
    assert _invoice(fb_client, customer["id"])["invoice_number"] == "0000002"

    assert "lines" not in fb_client.invoices.get(invoice["id"], include=[])
    assert len(fb_client.invoices.get(invoice["id"])["lines"]) == 2  # lines are included by default

    sent = fb_client.invoices.mark_as_sent(invoice["id"])
    assert (sent["status"], sent["v3_status"], sent["display_status"]) == (2, "overdue", "sent")  # due 2024-03-31
    emailed = fb_client.invoices.send_email(invoice["id"], recipients=["ap@melmac.example"], subject="Invoice")
    assert emailed["status"] == 2

    fb_client.invoices.delete(invoice["id"])  # HTTP DELETE, like the official Python SDK
    assert fb_client.invoices.get(invoice["id"])["vis_state"] == 1
    fb_client.connection.settings["invoice_delete"] = "update"
    other = _invoice(fb_client, customer["id"])
    assert fb_client.invoices.delete(other["id"])["vis_state"] == 1


def test_invoice_filters(fb_client):
    customer = _client_record(fb_client)
    other = fb_client.clients.create({"organization": "Other"})
    mine = _invoice(fb_client, customer["id"])
    _invoice(fb_client, other["id"])
    fb_client.invoices.mark_as_sent(mine["id"])
    assert [i["id"] for i in fb_client.invoices.list(search={"customerid": customer["id"]}).items] == [mine["id"]]
    assert [i["id"] for i in fb_client.invoices.list(search={"v3_status": "overdue"}).items] == [mine["id"]]
    assert fb_client.invoices.list(search={"date_min": "2024-03-01", "date_max": "2024-03-02"}).total == 2


def test_payments_settle_the_invoice_and_overpayment_makes_a_credit(fb_client):
    customer = _client_record(fb_client)
    invoice = _invoice(fb_client, customer["id"])  # 20.00
    partial = fb_client.payments.create({"invoiceid": invoice["id"], "amount": {"amount": "5.00", "code": "USD"},
                                         "date": "2024-03-05", "type": "Check"})
    assert partial["clientid"] == customer["id"] and partial["id"] == partial["logid"]
    after = fb_client.invoices.get(invoice["id"])
    assert (after["payment_status"], after["v3_status"], after["outstanding"]["amount"]) == ("partial", "partial", "15.00")

    rest = fb_client.payments.create({"invoiceid": invoice["id"], "amount": {"amount": "20.00", "code": "USD"},
                                      "date": "2024-03-07", "type": "Cash"})
    paid = fb_client.invoices.get(invoice["id"])
    assert (paid["status"], paid["v3_status"], paid["payment_status"], paid["date_paid"]) == (4, "paid", "paid", "2024-03-07")
    assert (paid["paid"]["amount"], paid["outstanding"]["amount"]) == ("20.00", "0.00")
    assert fb_client.payments.get(rest["id"])["overpaymentid"]
    assert fb_client.clients.get(customer["id"], include=["credit_balance"])["credit_balance"] == [
        {"amount": {"amount": "5.00", "code": "USD"}}]

    fb_client.payments.update(partial["id"], {"note": "cheque 101", "amount": {"amount": "6.00", "code": "USD"}})
    assert fb_client.payments.get(partial["id"])["note"] == "cheque 101"
    assert fb_client.payments.list(search={"invoiceid": invoice["id"]}).total == 2
    fb_client.payments.delete(rest["id"])
    reopened = fb_client.invoices.get(invoice["id"])
    assert (reopened["payment_status"], reopened["outstanding"]["amount"], reopened["date_paid"]) == ("partial", "14.00", None)


def test_expenses_and_categories(fb_client):
    categories = list(fb_client.expense_categories.iterate())
    travel = next(c for c in categories if c["category"] == "Travel")
    assert fb_client.expense_categories.get(travel["id"])["categoryid"] == travel["id"]
    assert [c["category"] for c in fb_client.expense_categories.list(search={"name": "Airf"}).items] == ["Airfare"]
    expense = fb_client.expenses.create({"amount": {"amount": "54.00", "code": "USD"}, "categoryid": travel["id"],
                                         "date": "2024-02-10", "staffid": 1, "vendor": "Serano Bakery"})
    assert expense["expenseid"] == expense["id"] and money_amount(expense["amount"]) == Decimal("54.00")
    updated = fb_client.expenses.update(expense["id"], {"notes": "Team lunch"})
    assert updated["notes"] == "Team lunch" and updated["vendor"] == "Serano Bakery"
    assert fb_client.expenses.list(search={"amount_min": "50", "categoryid": travel["id"]}).total == 1
    assert fb_client.expenses.delete(expense["id"])["vis_state"] == 1
    with pytest.raises(NotImplementedError):
        fb_client.expense_categories.delete(travel["id"])


def test_items_and_taxes(fb):
    from django.conf import settings

    from integrations.connectors.freshbooks.client import FreshBooksClient

    # Items need user:billable_items:* (the simulator's default; not among FRESHBOOKS_SCOPES, as no flow reads items).
    scope = " ".join([*settings.FRESHBOOKS_SCOPES, "user:billable_items:read", "user:billable_items:write"])
    fb_client = FreshBooksClient(fb.connection(scope=scope))
    tax = fb_client.taxes.create({"name": "HST", "amount": "13", "number": "RT 1234"})
    assert (tax["taxid"], tax["amount"]) == (tax["id"], "13")
    assert fb_client.taxes.update(tax["id"], {"amount": "15"})["amount"] == "15"
    item = fb_client.items.create({"name": "Widget", "sku": "W-1", "unit_cost": {"amount": "9.99", "code": "USD"},
                                   "tax1": tax["id"]})
    assert [i["id"] for i in fb_client.items.list(search={"sku": "W-1"}).items] == [item["id"]]
    assert fb_client.items.update(item["id"], {"qty": 3})["qty"] == "3"
    assert fb_client.items.delete(item["id"])["vis_state"] == 1
    fb_client.taxes.delete(tax["id"])  # HTTP DELETE: gone for good
    with pytest.raises(FatalError, match="could not find the tax"):
        fb_client.taxes.get(tax["id"])
    fb_client.session.close()


def test_multi_page_listing_walks_every_page(fb, fb_client):
    for n in range(23):
        SimObject.objects.create(account=fb.account, kind="client", data={"organization": f"Client {n:02d}"})
    first = fb_client.clients.list(per_page=10)
    assert (first.page, first.pages, first.per_page, first.total, len(first.items)) == (1, 3, 10, 23, 10)
    everyone = list(fb_client.clients.iterate(per_page=10))
    assert [c["organization"] for c in everyone] == [f"Client {n:02d}" for n in range(23)]
    calls = ApiCall.objects.filter(operation="clients.list").order_by("id")
    assert [c.record_count for c in calls][-3:] == [10, 10, 3]


def test_every_call_is_logged_with_operation_status_and_count(fb_client):
    created = _client_record(fb_client)
    fb_client.clients.get(created["id"])
    with pytest.raises(FatalError):
        fb_client.clients.get(999999)
    rows = list(ApiCall.objects.filter(system="freshbooks").order_by("id").values_list("operation", "status_code", "record_count"))
    assert rows == [("clients.create", 200, 1), ("clients.get", 200, 1), ("clients.get", 404, 0)]
    assert all(c.connection_id == fb_client.connection.pk and c.duration_ms >= 0 for c in ApiCall.objects.all())


def test_datetimes_are_us_eastern_except_signup_date(fb, fb_client):
    created = _client_record(fb_client)
    row = SimObject.objects.get(pk=created["id"])
    updated = accounting_datetime(created["updated"], resource="client", field="updated")
    signup = accounting_datetime(created["signup_date"], resource="client", field="signup_date")
    assert abs((updated - row.updated_at).total_seconds()) < 1
    assert abs((signup - row.created_at).total_seconds()) < 1

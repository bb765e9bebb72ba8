"""The InforErpAdapter domain operations, M3 implementation, against the simulator over real HTTP."""
from datetime import date
from decimal import Decimal

import pytest

from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.connectors.infor.m3 import M3BusinessError
from integrations.errors import FatalError
from integrations.sandbox.infor.models import Customer, GlBatch, Invoice, Order, PaymentBatch
from integrations.sandbox.infor.orders import order_advance
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def adapter(m3_connection):
    return infor_adapter_for(m3_connection)


def new_customer(adapter, **extra):
    values = dict(name="Acme Ltd", reference="FB-CLIENT-7", address_line1="1 Main St", city="Springfield",
                  country="US", email="ap@acme.test", customer_group="SMB", currency="EUR", payment_method="CC")
    return adapter.upsert_customer(**{**values, **extra})


def shipped_and_invoiced_order(adapter, reference="FB-INV-0001"):
    cuno = new_customer(adapter)["customer_number"]
    order = adapter.create_sales_order(order_reference=reference, customer_number=cuno, lines=[
        {"item_number": "WIDGET-S", "quantity": Decimal("2"), "unit_price": Decimal("12.50")},
        {"item_number": "SERVICE-H", "quantity": Decimal("1.5"), "unit_price": Decimal("95.00")},
    ])
    sim_order = Order.objects.get(orno=order["order_number"])
    order_advance(order=sim_order, action="ship")
    order_advance(order=sim_order, action="invoice")
    return cuno, order["order_number"], adapter.list_invoices(order_number=order["order_number"])[0]


def test_upsert_customer_adds_then_sets_group_currency_and_method(adapter):
    result = new_customer(adapter)
    assert result["created"] is True
    customer = result["customer"]
    assert customer["name"] == "Acme Ltd" and customer["reference"] == "FB-CLIENT-7"
    assert (customer["customer_group"], customer["currency"], customer["payment_method"]) == ("SMB", "EUR", "CC")
    calls = list(ApiCall.objects.order_by("pk").values_list("operation", flat=True))
    assert [c for c in calls if c.startswith("CRS610MI/")][-4:] == [
        "CRS610MI/Add", "CRS610MI/ChgOrderInfo", "CRS610MI/ChgFinancial", "CRS610MI/GetBasicData"]


def test_upsert_customer_again_finds_it_by_reference_and_updates(adapter):
    first = new_customer(adapter)
    second = new_customer(adapter, name="Acme Limited", customer_group="ENT")
    assert second["created"] is False and second["customer_number"] == first["customer_number"]
    assert Customer.objects.count() == 1
    stored = Customer.objects.get()
    assert (stored.cunm, stored.cucl, stored.town) == ("Acme Limited", "ENT", "Springfield")


def test_upsert_customer_with_a_given_number_is_idempotent(adapter):
    assert adapter.upsert_customer(name="Numbered", customer_number="C-42")["created"] is True
    again = adapter.upsert_customer(name="Numbered Inc", customer_number="C-42")
    assert again["created"] is False and Customer.objects.get(cuno="C-42").cunm == "Numbered Inc"


def test_unknown_customer_group_is_a_fatal_error_naming_the_field(adapter):
    with pytest.raises(M3BusinessError) as caught:
        new_customer(adapter, customer_group="XXX")
    assert caught.value.m3_field == "CUCL" and "Customer group XXX does not exist" in caught.value.message


def test_list_changed_customers_polls_by_timestamp(adapter):
    first = new_customer(adapter)["customer"]
    everything = adapter.list_changed_customers()
    assert [c["customer_number"] for c in everything["customers"]] == [first["customer_number"]]
    Customer.objects.update(lmts=1000)
    second = new_customer(adapter, name="Other", reference="FB-CLIENT-8")["customer"]
    changed = adapter.list_changed_customers(since=str(1001))
    assert [c["customer_number"] for c in changed["customers"]] == [second["customer_number"]]
    assert changed["watermark"] == second["changed_at"]
    assert adapter.get_customer(customer_number="NOPE") is None


def test_create_sales_order_confirms_once_per_reference(adapter):
    cuno = new_customer(adapter)["customer_number"]
    lines = [{"item_number": "WIDGET-L", "quantity": Decimal("3"), "unit_price": Decimal("49.00")}]
    created = adapter.create_sales_order(order_reference="FB-INV-0042", customer_number=cuno, lines=lines)
    assert created["created"] is True
    status = created["status"]
    assert status["order_reference"] == "FB-INV-0042" and status["net_amount"] == Decimal("147.00")
    assert (status["lowest_status"], status["delivered"]) == ("22", False)
    again = adapter.create_sales_order(order_reference="FB-INV-0042", customer_number=cuno, lines=lines)
    assert again == {**created, "created": False}
    assert Order.objects.filter(stage="confirmed").count() == 1


def test_a_bad_order_line_names_the_line_and_leaves_no_confirmed_order(adapter):
    cuno = new_customer(adapter)["customer_number"]
    with pytest.raises(M3BusinessError) as caught:
        adapter.create_sales_order(order_reference="FB-INV-7", customer_number=cuno, lines=[
            {"item_number": "WIDGET-S", "quantity": Decimal("1")},
            {"item_number": "NO-SUCH-ITEM", "quantity": Decimal("1")},
        ])
    assert caught.value.message.startswith("Line 2 of order FB-INV-7: ")
    assert "Item number NO-SUCH-ITEM does not exist" in caught.value.message and caught.value.m3_field == "ITNO"
    assert not Order.objects.filter(stage="confirmed").exists()


def test_order_status_follows_shipping_and_invoicing(adapter):
    cuno = new_customer(adapter)["customer_number"]
    number = adapter.create_sales_order(order_reference="R1", customer_number=cuno, lines=[
        {"item_number": "WIDGET-S", "quantity": Decimal("1")}])["order_number"]
    order = Order.objects.get(orno=number)
    order_advance(order=order, action="pick")
    assert adapter.get_order_status(order_number=number)["highest_status"] == "44"
    order_advance(order=order, action="ship")
    shipped = adapter.get_order_status(order_number=number)
    assert shipped["delivered"] and shipped["partly_delivered"] and not shipped["invoiced"]
    order_advance(order=order, action="invoice")
    assert adapter.get_order_status(order_number=number)["invoiced"] is True


def test_invoices_and_partial_then_full_payment_reconcile(adapter):
    cuno, _, invoice = shipped_and_invoiced_order(adapter)
    assert invoice["amount"] == Decimal("167.50") and invoice["remaining_amount"] == Decimal("167.50")
    number, year = invoice["invoice_number"], invoice["year"]

    partial = adapter.record_payment(batch_id=101, customer_number=cuno, invoice_number=number, invoice_year=year,
                                     amount=Decimal("67.50"), payment_date=date(2026, 3, 1), reference="FB-PAY-1")
    assert partial["invoice"]["reconciled"] is False
    assert partial["invoice"]["remaining_amount"] == Decimal("100.00")

    full = adapter.record_payment(batch_id=102, customer_number=cuno, invoice_number=number, invoice_year=year,
                                  amount=Decimal("100.00"), payment_date=date(2026, 3, 5), currency="EUR")
    assert full["invoice"]["reconciled"] is True and full["invoice"]["reconciled_on"] == date(2026, 3, 5)
    assert adapter.invoice_status(customer_number=cuno, invoice_number=number, year=year)["reconciled"]


def test_record_payment_retried_after_a_crash_pays_once(adapter):
    cuno, _, invoice = shipped_and_invoiced_order(adapter)
    args = dict(batch_id=555, customer_number=cuno, invoice_number=invoice["invoice_number"],
                invoice_year=invoice["year"], amount=Decimal("50.00"), payment_date=date(2026, 3, 1))
    adapter.record_payment(**args)
    again = adapter.record_payment(**args)  # the engine replays the step: every MI step says "already done"
    assert again["invoice"]["remaining_amount"] == Decimal("117.50")
    assert Invoice.objects.get().paid == Decimal("50.00") and PaymentBatch.objects.count() == 1


def test_overpayment_is_refused_with_the_open_amount(adapter):
    cuno, _, invoice = shipped_and_invoiced_order(adapter)
    with pytest.raises(M3BusinessError) as caught:
        adapter.record_payment(batch_id=9, customer_number=cuno, invoice_number=invoice["invoice_number"],
                               invoice_year=invoice["year"], amount=Decimal("500"), payment_date=date(2026, 3, 1))
    assert "exceed the open amount 167.50" in caught.value.message
    assert Invoice.objects.get().paid == 0


def gl_lines(expense_account="6110"):
    return [
        {"account": expense_account, "amount": Decimal("100.00"), "text": "Software subscription"},
        {"account": "2640", "amount": Decimal("21.00"), "text": "VAT", "vat_code": "21"},
        {"account": "2440", "amount": Decimal("-121.00"), "text": "Payable"},
    ]


def test_post_gl_batch_controls_and_updates_a_balanced_batch_once(adapter):
    args = dict(batch_key="FBEXP-77", description="FreshBooks expense 77", accounting_date=date(2026, 3, 2),
                currency="EUR", lines=gl_lines())
    posted = adapter.post_gl_batch(**args)
    assert posted["voucher_number"] and posted["already_posted"] is False and posted["lines"] == 3
    batch = GlBatch.objects.get(key1="FBEXP-77")
    assert batch.stage == "updated" and sum(line.acam for line in batch.lines.all()) == 0
    assert [line.dbcr for line in batch.lines.all()] == ["D", "D", "C"]
    again = adapter.post_gl_batch(**args)
    assert again["already_posted"] is True and GlBatch.objects.count() == 1 and batch.lines.count() == 3


def test_unbalanced_batch_is_refused_before_any_call(adapter):
    lines = gl_lines()
    lines[2]["amount"] = Decimal("-120.00")
    before = ApiCall.objects.count()
    with pytest.raises(FatalError) as caught:
        adapter.post_gl_batch(batch_key="X1", description="d", accounting_date=date(2026, 3, 2), currency="EUR",
                              lines=lines)
    assert "does not balance: debit 121.00, credit 120.00" in caught.value.message
    assert ApiCall.objects.count() == before


def test_unknown_or_blocked_account_is_refused_by_the_control_run(adapter):
    with pytest.raises(M3BusinessError) as caught:
        adapter.post_gl_batch(batch_key="X2", description="d", accounting_date=date(2026, 3, 2), currency="EUR",
                              lines=gl_lines("9999"))
    assert caught.value.m3_field == "AIT1" and "Account 9999 on line 1 does not exist" in caught.value.message
    assert GlBatch.objects.get(key1="X2").stage == "open"
    assert adapter.validate_accounts(accounts=["6110", "9999", "4999"]) == {
        "9999": "does not exist in the Infor chart of accounts", "4999": "is blocked in Infor"}


def test_chart_of_accounts_and_code_tables(adapter):
    accounts = {a["account"]: a for a in adapter.list_accounts()}
    assert accounts["6110"] == {"account": "6110", "description": "Software subscriptions", "blocked": False,
                                "kind": "profit_and_loss"}
    assert {c["code"] for c in adapter.list_codes(table="customer_group")} >= {"SMB", "ENT"}
    assert {c["code"] for c in adapter.list_codes(table="payment_method")} >= {"CC", "PP"}

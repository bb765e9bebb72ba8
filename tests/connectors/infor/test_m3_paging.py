"""M3 lists page the way M3 and the ION API Gateway do (issue 20): maxrecs caps a list (100 when
omitted, 0 = all), a list runs from the key given in its input, and a list too long to answer
within the gateway's timeout gets 504. The product reads long lists page by page. Real HTTP."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.sandbox.infor.models import Account, Customer, Invoice, Order
from integrations.sandbox.infor.state import DEFAULT_TENANT, seed_ensure
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)


def _customers(count: int) -> list[str]:
    numbers = [f"{20001 + i}" for i in range(count)]
    Customer.objects.bulk_create([Customer(cuno=n, cunm=f"Customer {n}", yref=f"REF-{n}", rgdt="20260101",
                                           lmdt="20260101", lmts=1_700_000_000_000 + i) for i, n in enumerate(numbers)])
    return numbers


@pytest.fixture
def m3_get(live_server, sim_app):
    seed_ensure()
    root = f"{live_server.url}/sandbox/infor/{DEFAULT_TENANT}"
    token = requests.post(f"{root}/as/token.oauth2", data={
        "grant_type": "password", "username": sim_app.service_account_access_key,
        "password": sim_app.service_account_secret_key, "client_id": sim_app.client_id,
        "client_secret": sim_app.client_secret}, timeout=10).json()["access_token"]

    def get(path, **params):
        return requests.get(f"{root}/M3/m3api-rest/v2/execute/{path}", params=params, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    return get


def _numbers(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["CUNO"] for r in answer.json()["results"][0]["records"]]


def test_lists_honour_maxrecs_and_continue_from_a_key(m3_get, settings):
    numbers = _customers(130)
    assert _numbers(m3_get("CRS610MI/LstByNumber")) == numbers[:100]  # no maxrecs: the first 100
    assert _numbers(m3_get("CRS610MI/LstByNumber", maxrecs="30")) == numbers[:30]
    assert _numbers(m3_get("CRS610MI/LstByNumber;maxrecs=30", CUNO=numbers[29])) == numbers[29:59]  # from that key
    assert _numbers(m3_get("CRS610MI/LstByNumber", maxrecs="0")) == numbers  # 0 is all
    settings.SANDBOX_INFOR_GATEWAY_RECORD_LIMIT = 100
    timed_out = m3_get("CRS610MI/LstByNumber", maxrecs="0")
    assert timed_out.status_code == 504  # everything at once outlasts the gateway's timeout
    assert _numbers(m3_get("CRS610MI/LstByNumber", maxrecs="100")) == numbers[:100]


def test_the_product_reads_long_lists_in_pages(m3_connection, settings):
    settings.SANDBOX_INFOR_GATEWAY_RECORD_LIMIT = 40  # asking for everything at once would time out
    m3_connection.settings = {**m3_connection.settings, "m3_page_size": 15}
    m3_connection.save()
    adapter = infor_adapter_for(m3_connection)
    numbers = _customers(65)
    ApiCall.objects.all().delete()
    changed = adapter.list_changed_customers()
    assert [c["customer_number"] for c in changed["customers"]] == numbers  # none lost, none twice at the seams
    assert ApiCall.objects.filter(operation="CRS610MI/LstByNumber").count() == 5  # 15+14+14+14+8
    assert adapter.find_customer(reference=f"REF-{numbers[-1]}")["customer_number"] == numbers[-1]
    assert len(adapter.list_changed_customers(since=str(1_700_000_000_000 + 50))["customers"]) == 15
    accounts = adapter.list_accounts()
    chart = set(Account.objects.filter(aitp="1").values_list("aitm", flat=True))
    assert len(chart) > 15 and len(accounts) == len(chart) and {a["account"] for a in accounts} == chart
    assert {c["code"] for c in adapter.list_codes(table="payment_type")} == {"0", "1", "CC", "BT", "PP", "CA", "CH",
                                                                             "OT"}


def test_orders_and_ledger_lists_page_too(m3_connection, settings):
    settings.SANDBOX_INFOR_GATEWAY_RECORD_LIMIT = 40
    m3_connection.settings = {**m3_connection.settings, "m3_page_size": 10}
    m3_connection.save()
    adapter = infor_adapter_for(m3_connection)
    customer = Customer.objects.get(cuno=_customers(1)[0])
    orders = Order.objects.bulk_create([
        Order(temp_orno=f"{9100000 + i}", orno=f"{1100000 + i}", stage=Order.Stage.CONFIRMED, customer=customer,
              cuor=f"SHOP-{i}", ordt="20260301", lmts=1) for i in range(45)])
    start = date(2026, 1, 1)
    Invoice.objects.bulk_create([  # three invoices a day: the date a page continues from repeats
        Invoice(yea4="2026", ivno=f"{600000 + i}", order=orders[i], customer=customer,
                ivdt=(start + timedelta(days=i // 3)).strftime("%Y%m%d"), dudt="20260401", cucd="USD",
                amount=Decimal("10.00"), jrno=f"{i + 1}") for i in range(45)])
    assert adapter.find_sales_order(customer_number=customer.cuno, order_reference="SHOP-44")["order_number"] == \
        "1100044"
    last = adapter.invoice_status(customer_number=customer.cuno, invoice_number="600044", year="2026")
    assert last["remaining_amount"] == Decimal("10.00")
    ledger_calls = ApiCall.objects.filter(operation="ARS200MI/LstInvoices").count()
    assert ledger_calls >= 5  # 45 invoices at most 10 a page

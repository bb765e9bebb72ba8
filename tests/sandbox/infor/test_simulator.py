"""The M3 simulator's HTTP surface: OAuth errors, gateway 401s, malformed requests, matrix
parameters, and the browser page (order progression, faults)."""
import base64

import pytest

from integrations.sandbox.infor.models import Customer, Fault, Order
from integrations.sandbox.infor.state import DEFAULT_TENANT, app_default, seed_ensure

pytestmark = pytest.mark.django_db
ROOT = f"/sandbox/infor/{DEFAULT_TENANT}"
EXECUTE = f"{ROOT}/M3/m3api-rest/v2/execute"


@pytest.fixture
def app():
    seed_ensure()
    return app_default()


@pytest.fixture
def bearer(client, app):
    response = client.post(f"{ROOT}/as/token.oauth2", {
        "grant_type": "password", "username": app.service_account_access_key,
        "password": app.service_account_secret_key, "client_id": app.client_id, "client_secret": app.client_secret})
    assert response.status_code == 200 and response.json()["expires_in"] == 7200
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access_token']}"}


def test_token_endpoint_answers_oauth_errors(client, app):
    basic = "Basic " + base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    cases = [
        ({"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": "x"}, {}, 401,
         "invalid_client"),
        ({"grant_type": "magic"}, {"HTTP_AUTHORIZATION": basic}, 400, "unsupported_grant_type"),
        ({}, {"HTTP_AUTHORIZATION": basic}, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "forged"}, {"HTTP_AUTHORIZATION": basic}, 400,
         "invalid_grant"),
        ({"grant_type": "password", "username": app.service_account_access_key, "password": "no"},
         {"HTTP_AUTHORIZATION": basic}, 400, "invalid_grant"),
    ]
    for form, headers, status, error in cases:
        response = client.post(f"{ROOT}/as/token.oauth2", form, **headers)
        assert (response.status_code, response.json()["error"]) == (status, error), form
    other_tenant = client.post("/sandbox/infor/OTHER/as/token.oauth2", {"grant_type": "client_credentials"},
                               HTTP_AUTHORIZATION=basic)
    assert other_tenant.status_code == 401


def test_m3_without_a_valid_token_is_401_with_www_authenticate(client, app):
    response = client.get(f"{EXECUTE}/CRS610MI/LstByNumber", HTTP_AUTHORIZATION="Bearer forged")
    assert response.status_code == 401 and 'error="invalid_token"' in response["WWW-Authenticate"]


def test_tokens_expired_from_the_page_are_refused(client, bearer):
    assert client.get(f"{EXECUTE}/CRS610MI/LstByNumber", **bearer).status_code == 200
    client.post("/sandbox/infor/tokens/expire/")
    assert client.get(f"{EXECUTE}/CRS610MI/LstByNumber", **bearer).status_code == 401


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "not valid JSON"),
    (b'{"program": "CRS610MI"}', '"transactions" list'),
    (b'{"transactions": []}', "No program given"),
])
def test_malformed_bulk_requests_get_a_terminated_bulk_response(client, bearer, body, reason):
    response = client.post(EXECUTE, body, content_type="application/json", **bearer)
    assert response.status_code == 400
    data = response.json()
    assert data["wasTerminated"] is True and reason in data["terminationReason"]
    assert data["nrOfSuccessfullTransactions"] == 0


def test_matrix_parameters_and_program_in_the_path(client, bearer):
    for name in ("A", "B", "C"):
        Customer.objects.create(cuno=name, cunm=name, rgdt="20260101", lmdt="20260101", lmts=1)
    response = client.get(f"{EXECUTE}/CRS610MI/LstByNumber;maxrecs=2;returncols=CUNO", **bearer)
    assert response.json()["results"][0]["records"] == [{"CUNO": "A"}, {"CUNO": "B"}]
    bulk = client.post(f"{EXECUTE}/CRS610MI", {"transactions": [{"transaction": "GetBasicData",
                                                                 "record": {"CUNO": "C"}}]},
                       content_type="application/json", **bearer).json()
    assert bulk["results"][0]["records"][0]["CUNM"] == "C" and bulk["wasTerminated"] is False


def test_bad_control_parameter_and_bad_numbers(client, bearer):
    response = client.get(f"{EXECUTE}/CRS610MI/LstByNumber?maxrecs=lots", **bearer)
    assert response.status_code == 400 and response.json()["terminationErrorType"] == "InvalidParameter"
    result = client.get(f"{EXECUTE}/ARS040MI/AddBatchHead?PBID=12AB&BOPE=1", **bearer).json()["results"][0]
    assert (result["errorField"], result["errorCode"]) == ("PBID", "WNU0102")


def make_confirmed_order():
    customer = Customer.objects.create(cuno="C1", cunm="Shop customer", rgdt="20260101", lmdt="20260101", lmts=1)
    order = Order.objects.create(temp_orno="9000001", orno="1000001", stage="confirmed", customer=customer,
                                 cucd="USD", ordt="20260101", lmts=1)
    order.lines.create(ponr=10, itno="WIDGET-S", orqt=2, sapr="12.50", orst="22")
    return order


def test_page_shows_the_tenant_and_ships_and_invoices_an_order(client, app):
    order = make_confirmed_order()
    page = client.get("/sandbox/infor/")
    # The simulator's own app credentials are shown, as ION API's Authorized Apps page does (PRODUCT.md).
    assert page.status_code == 200 and b"1000001" in page.content and app.client_secret.encode() in page.content
    assert client.post(f"/sandbox/infor/orders/{order.pk}/invoice/", follow=True).status_code == 200
    assert order.lines.get().orst == "22"  # refused: nothing delivered yet
    client.post(f"/sandbox/infor/orders/{order.pk}/ship/")
    client.post(f"/sandbox/infor/orders/{order.pk}/invoice/")
    line = order.lines.get()
    assert (line.orst, line.dlqt, line.ivqt) == ("77", 2, 2)
    invoice = order.invoices.get()
    assert str(invoice.amount) == "25.00" and invoice.reco == "0"


def test_faults_are_added_from_the_page_and_consumed_per_request(client, bearer):
    client.post("/sandbox/infor/faults/", {"kind": "503", "remaining": "2", "retry_after": "9"})
    first = client.get(f"{EXECUTE}/CRS610MI/LstByNumber", **bearer)
    assert first.status_code == 503 and first["Retry-After"] == "9"
    assert client.get(f"{EXECUTE}/CRS610MI/LstByNumber", **bearer).status_code == 503
    assert client.get(f"{EXECUTE}/CRS610MI/LstByNumber", **bearer).status_code == 200
    assert client.post("/sandbox/infor/faults/", {"kind": "nope"}).status_code == 302
    assert not Fault.objects.filter(remaining__gt=0).exists()


def test_ionapi_download_points_at_this_simulator(client, app):
    data = client.get("/sandbox/infor/ionapi/").json()
    assert data["ti"] == DEFAULT_TENANT and data["pu"] == f"http://testserver/sandbox/infor/{DEFAULT_TENANT}/as/"
    assert data["saak"] == app.service_account_access_key and data["ot"] == "token.oauth2"

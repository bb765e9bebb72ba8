"""Contract tests: the M3 MI REST v2 client against the simulator over real HTTP."""
import time

import pytest

from integrations.connectors.infor.m3 import M3BusinessError, M3Client, bulk_response_parse
from integrations.errors import AuthError, RetryableError
from integrations.models import Connection
from integrations.sandbox.infor.models import AuthorizedApp, Customer
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)


def add_customer(client, name="Acme Ltd", **extra):
    return client.execute("CRS610MI", "Add", {"CUTM": "TMPL", "CUNM": name, "CUA1": "1 Main St", **extra})[0]["CUNO"]


def test_single_get_returns_string_records_shaped_by_control_parameters(m3_connection):
    client = M3Client(m3_connection)
    cuno = add_customer(client, MAIL="ap@acme.test")
    record = client.execute("CRS610MI", "GetBasicData", {"CUNO": cuno})[0]
    assert record["CUNO"] == cuno and record["CUNM"] == "Acme Ltd" and record["STAT"] == "20"
    assert all(isinstance(v, str) for v in record.values())
    assert len(record["RGDT"]) == 8 and record["RGDT"].isdigit()  # YMD8

    only = client.execute("CRS610MI", "GetBasicData", {"CUNO": cuno}, returncols=["CUNO", "MAIL"])[0]
    assert only == {"CUNO": cuno, "MAIL": "ap@acme.test"}
    sparse = client.execute("CRS610MI", "GetBasicData", {"CUNO": cuno}, excludeempty=True)[0]
    assert "CUA2" not in sparse and sparse["CUNM"] == "Acme Ltd"
    dashed = client.execute("CRS610MI", "GetBasicData", {"CUNO": cuno}, dateformat="YMD8-")[0]
    assert dashed["RGDT"][4] == "-"

    add_customer(client, "Beta")
    add_customer(client, "Gamma")
    assert len(client.execute("CRS610MI", "LstByNumber", maxrecs=2)) == 2
    assert len(client.execute("CRS610MI", "LstByNumber", maxrecs=0)) == 3


def test_business_error_in_a_200_is_fatal_and_names_the_field(m3_connection):
    client = M3Client(m3_connection)
    with pytest.raises(M3BusinessError) as caught:
        client.execute("CRS610MI", "GetBasicData", {"CUNO": "NOPE"})
    error = caught.value
    assert error.code == "XIM0002" and error.m3_field == "CUNO" and error.field == "CUNO"
    assert error.error_type == "ServerReturnedNOK"
    assert "Infor M3 rejected CRS610MI/GetBasicData: Customer number NOPE does not exist" in error.message
    assert ApiCall.objects.filter(operation="CRS610MI/GetBasicData", status_code=200).exists()


@pytest.mark.parametrize("record, error_type, field", [
    ({"CUTM": "TMPL", "CUA1": "x"}, "MandatoryInputFieldNotFound", "CUNM"),
    ({"CUTM": "TMPL", "CUNM": "x" * 37, "CUA1": "x"}, "InputFieldTooLong", "CUNM"),
    ({"CUTM": "NOPE", "CUNM": "x", "CUA1": "x"}, "ServerReturnedNOK", "CUTM"),
])
def test_validation_errors_follow_the_swagger_signature(m3_connection, record, error_type, field):
    with pytest.raises(M3BusinessError) as caught:
        M3Client(m3_connection).execute("CRS610MI", "Add", record)
    assert caught.value.error_type == error_type and caught.value.m3_field == field
    assert not Customer.objects.exists()


def test_unknown_transaction_and_foreign_company(m3_connection):
    client = M3Client(m3_connection)
    with pytest.raises(M3BusinessError) as caught:
        client.execute("CRS610MI", "Explode", {})
    assert caught.value.error_type == "TransactionNotFound"
    with pytest.raises(M3BusinessError) as caught:
        client.execute("CRS610MI", "LstByNumber", {}, cono="999")
    assert caught.value.code == "XAU0008"


def test_bulk_post_reports_partial_failure_per_transaction(m3_connection):
    client = M3Client(m3_connection)
    bulk = client.execute_bulk("CRS610MI", [
        ("Add", {"CUTM": "TMPL", "CUNM": "One", "CUA1": "a"}),
        ("Add", {"CUTM": "TMPL", "CUA1": "b"}),  # CUNM missing
        ("Add", {"CUTM": "TMPL", "CUNM": "Three", "CUA1": "c"}),
    ])
    assert (bulk.successful, bulk.failed, bulk.was_terminated) == (2, 1, False)
    assert [r.ok for r in bulk.results] == [True, False, True]
    failed = bulk.results[1]
    assert failed.error_field == "CUNM" and failed.error_type == "MandatoryInputFieldNotFound"
    assert "field CUNM" in failed.error("CRS610MI").message
    assert sorted(Customer.objects.values_list("cunm", flat=True)) == ["One", "Three"]
    call = ApiCall.objects.get(operation="CRS610MI/bulk")
    assert call.method == "POST" and call.record_count == 3


def test_bulk_response_parsing_accepts_string_booleans_and_not_processed():
    parsed = bulk_response_parse({
        "results": [{"transaction": "Add", "records": [{"CUNO": "1"}]},
                    {"transaction": "Add", "notProcessed": "true"}],
        "wasTerminated": "true", "terminationReason": "stopped", "nrOfSuccessfullTransactions": 1,
        "nrOfFailedTransactions": 0, "nrOfNotProcessedTransactions": 1,
    })
    assert parsed.was_terminated is True and parsed.termination_reason == "stopped"
    assert parsed.results[0].ok and not parsed.results[1].ok and parsed.not_processed == 1
    assert "was not processed" in parsed.results[1].error("CRS610MI").message
    assert bulk_response_parse({"results": [], "wasTerminated": "false"}).was_terminated is False


def test_expired_token_is_refreshed_once_and_the_call_retried(m3_connection, fault):
    client = M3Client(m3_connection)
    add_customer(client)
    first_token = Connection.objects.get(pk=m3_connection.pk).get_secret("access_token")
    fault("401")
    assert len(client.execute("CRS610MI", "LstByNumber")) == 1
    stored = Connection.objects.get(pk=m3_connection.pk)
    assert stored.get_secret("access_token") != first_token and stored.token_state == "valid"
    statuses = list(ApiCall.objects.filter(operation="CRS610MI/LstByNumber").order_by("pk")
                    .values_list("status_code", flat=True))
    assert statuses == [401, 200]
    assert ApiCall.objects.filter(operation="token:refresh", status_code=200).count() == 1


def test_three_401s_in_a_row_are_retried_on_fresh_tokens_not_a_reconnect(m3_connection, fault):
    """Issue 20: the gateway answering 401 three times in a row is an expired token, not a dead letter."""
    client = M3Client(m3_connection)
    add_customer(client)
    fault("401", remaining=3)
    assert len(client.execute("CRS610MI", "LstByNumber")) == 1
    statuses = list(ApiCall.objects.filter(operation="CRS610MI/LstByNumber").order_by("pk")
                    .values_list("status_code", flat=True))
    assert statuses == [401, 401, 401, 200]
    stored = Connection.objects.get(pk=m3_connection.pk)
    assert stored.token_state == "valid" and not stored.last_auth_error


def test_401s_on_every_fresh_token_end_retryable_and_the_connection_healthy(m3_connection, fault, settings):
    settings.TOKEN_RETRY_ATTEMPTS = 3
    client = M3Client(m3_connection)
    add_customer(client)
    fault("401", remaining=10)
    with pytest.raises(RetryableError, match="refused 3 fresh access tokens in a row") as caught:
        client.execute("CRS610MI", "LstByNumber")
    assert "Reconnect" not in caught.value.message
    assert Connection.objects.get(pk=m3_connection.pk).token_state != "failing"


def test_revoked_app_credentials_end_in_auth_error_and_a_failing_connection(m3_connection, fault):
    client = M3Client(m3_connection)
    add_customer(client)
    AuthorizedApp.objects.update(client_secret="rotated-by-the-tenant-admin")
    fault("401")
    with pytest.raises(AuthError) as caught:
        client.execute("CRS610MI", "LstByNumber")
    assert "sign-in failed" in caught.value.message
    assert Connection.objects.get(pk=m3_connection.pk).token_state == "failing"


@pytest.mark.parametrize("kind, status", [("429", 429), ("503", 503)])
def test_throttling_and_outages_are_retryable_with_retry_after(m3_connection, fault, kind, status):
    client = M3Client(m3_connection)
    fault(kind, retry_after=7)
    with pytest.raises(RetryableError) as caught:
        client.execute("CRS610MI", "LstByNumber")
    assert caught.value.http_status == status and caught.value.retry_after == 7
    assert client.execute("CRS610MI", "LstByNumber") == []  # the fault was one request long


def test_a_slow_gateway_times_out_as_retryable_though_the_write_may_have_happened(m3_connection, fault):
    client = M3Client(m3_connection)
    client.execute("CRS610MI", "LstByNumber")  # token first, so only the MI call is slow
    client.timeout = 0.3
    fault("latency", latency_ms=1200)
    with pytest.raises(RetryableError) as caught:
        add_customer(client, "Slow Ltd")
    assert "did not answer" in caught.value.message
    call = ApiCall.objects.filter(operation="CRS610MI/Add").latest("pk")
    assert call.status_code is None and call.error
    # The gateway still runs the request after we gave up: why every write looks before it adds.
    deadline = time.monotonic() + 10
    while not Customer.objects.filter(cunm="Slow Ltd").exists():
        assert time.monotonic() < deadline, "the slow request never completed"
        time.sleep(0.05)

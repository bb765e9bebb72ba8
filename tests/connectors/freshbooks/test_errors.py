"""Contract: each documented failure becomes the engine's error class, with a readable message."""
import time

import pytest
import requests

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.errors import problem_from_body
from integrations.errors import AuthError, FatalError, RetryableError
from integrations.sandbox.freshbooks.faults import faults_set, tokens_expire_all
from integrations.sandbox.freshbooks.models import SimAccount, SimToken
from monitoring.models import ApiCall


def test_validation_error_names_the_field(fb_client):
    with pytest.raises(FatalError) as caught:
        fb_client.invoices.create({"create_date": "2024-01-01", "lines": []})
    error = caught.value
    assert error.http_status == 422 and error.field == "customerid"
    assert error.message == "FreshBooks rejected the invoice: 'customerid' is required. (field customerid, error 1001)"


def test_client_without_a_name_is_errno_7012(fb_client):
    with pytest.raises(FatalError, match="At least one field among fname, lname, email and organization") as caught:
        fb_client.clients.create({})
    assert caught.value.detail == {"errno": 7012}


def test_unknown_record_is_fatal_not_found(fb_client):
    with pytest.raises(FatalError) as caught:
        fb_client.invoices.get(424242)
    assert caught.value.http_status == 404 and "could not find the invoice" in caught.value.message


def test_429_is_retryable_with_retry_after(fb, fb_client):
    faults_set(account=fb.account, fault_429_remaining=1, fault_retry_after=42)
    with pytest.raises(RetryableError) as caught:
        fb_client.clients.list()
    assert (caught.value.http_status, caught.value.retry_after) == (429, 42.0)
    assert fb_client.clients.list().total == 0  # the fault was consumed; the next call works


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(fb, fb_client, status):
    faults_set(account=fb.account, fault_5xx_remaining=1, fault_5xx_status=status)
    with pytest.raises(RetryableError) as caught:
        fb_client.clients.list()
    assert caught.value.http_status == status and "server error" in caught.value.message


def test_invoice_number_collision_409_is_retryable_and_a_retry_succeeds(fb, fb_client):
    customer = fb_client.clients.create({"organization": "Acme"})
    faults_set(account=fb.account, fault_409_remaining=1)
    body = {"customerid": customer["id"], "create_date": "2024-01-01", "lines": []}
    with pytest.raises(RetryableError) as caught:
        fb_client.invoices.create(body)
    assert caught.value.http_status == 409
    assert fb_client.invoices.create(body)["invoice_number"] == "0000001"


def test_timeout_is_retryable(fb, fb_client, settings):
    settings.HTTP_TIMEOUT_SECONDS = 0.2
    faults_set(account=fb.account, fault_latency_ms=600)
    with pytest.raises(RetryableError, match="did not answer within"):
        fb_client.clients.list()
    # Let the abandoned request finish before the test ends: when it wakes it consumes this fault.
    faults_set(account=fb.account, fault_latency_ms=0, fault_5xx_remaining=1)
    deadline = time.monotonic() + 10
    while SimAccount.objects.get(pk=fb.account.pk).fault_5xx_remaining and time.monotonic() < deadline:
        time.sleep(0.05)


def test_connection_error_is_retryable(fb_connection):
    fb_connection.base_url = "http://127.0.0.1:9/sandbox/freshbooks/"  # discard port: nothing listens
    with pytest.raises(RetryableError, match="Could not reach FreshBooks"):
        FreshBooksClient(fb_connection).clients.list()


def test_401_refreshes_once_then_succeeds(fb, fb_client):
    old = fb_client.connection.get_secret("access_token")
    tokens_expire_all(account=fb.account)  # the simulator expires it; our copy still looks valid
    assert fb_client.clients.list().total == 0
    assert fb_client.connection.get_secret("access_token") != old
    assert SimToken.objects.filter(refreshed_from__access_token=old).count() == 1


def test_401s_with_fresh_tokens_are_retried_then_retryable_not_a_reconnect(fb, fb_client, monkeypatch, settings):
    # The simulator keeps refusing: every access token it issues is already expired.
    from integrations.sandbox.freshbooks import views_auth

    real_issue = views_auth.token_issue

    def expired_issue(**kwargs):
        token = real_issue(**kwargs)
        SimToken.objects.filter(pk=token.pk).update(expires_at=token.created_at)
        return token

    monkeypatch.setattr(views_auth, "token_issue", expired_issue)
    tokens_expire_all(account=fb.account)
    settings.TOKEN_RETRY_ATTEMPTS = 3
    calls = ApiCall.objects.filter(operation__startswith="clients").count()
    with pytest.raises(RetryableError, match="refused 3 fresh access tokens in a row"):
        fb_client.clients.list()
    assert ApiCall.objects.filter(operation__startswith="clients").count() - calls == 3  # bounded
    fb_client.connection.refresh_from_db()
    assert fb_client.connection.token_state != "failing"  # the token endpoint works: no reconnect


def test_spent_refresh_token_is_an_auth_error(fb, fb_client):
    SimToken.objects.update(refresh_used_at="2024-01-01T00:00:00Z", revoked_at="2024-01-01T00:00:00Z")
    with pytest.raises(AuthError, match="invalid_grant"):
        fb_client.clients.list()


def test_non_json_answer_is_retryable(fb_client, monkeypatch):
    def html(*args, **kwargs):
        response = requests.Response()
        response.status_code, response._content = 200, b"<html>maintenance</html>"
        return response

    monkeypatch.setattr(fb_client.session, "request", html)
    with pytest.raises(RetryableError, match="not JSON"):
        fb_client.clients.list()


@pytest.mark.parametrize("body, message, field", [
    ({"response": {"errors": [{"errno": 1012, "field": "userid", "message": "Client not found.", "object": "client",
                               "value": "12345"}]}}, "Client not found.", "userid"),
    ({"code": 5, "message": "Request failed with status_code: 404",
      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "1012",
                   "metadata": {"object": "client", "message": "Client not found.", "value": "12345", "field": "userid"}}]},
     "Client not found.", "userid"),
    ({"errno": 422, "message": "The request was well-formed but was unable to be followed due to semantic errors.",
      "details": ["event: Value error, Unrecognized event."]}, "event: Value error, Unrecognized event.", "event"),
    ({"error": "invalid_token", "error_description": "The access token is invalid", "state": "unauthorized"},
     "invalid_token: The access token is invalid", ""),
])
def test_every_documented_error_shape_is_read(body, message, field):
    problem = problem_from_body(body)
    assert message in problem.message and problem.field == field


def test_three_401s_in_a_row_are_retried_on_fresh_tokens_not_a_reconnect(fb, fb_client):
    """Issue 20: an expired token is not a dead letter (the fault switch: next N requests answer 401)."""
    faults_set(account=fb.account, fault_401_remaining=3)
    assert fb_client.clients.list().total == 0
    statuses = list(ApiCall.objects.filter(operation="clients.list").order_by("pk").values_list("status_code", flat=True))
    assert statuses == [401, 401, 401, 200]
    fb_client.connection.refresh_from_db()
    assert fb_client.connection.token_state == "valid" and not fb_client.connection.last_auth_error


def test_a_refused_refresh_is_what_asks_for_a_reconnect(fb, fb_client):
    faults_set(account=fb.account, fault_401_remaining=1)
    SimToken.objects.update(refresh_used_at="2024-01-01T00:00:00Z", revoked_at="2024-01-01T00:00:00Z")
    with pytest.raises(AuthError, match="invalid_grant"):
        fb_client.clients.list()
    fb_client.connection.refresh_from_db()
    assert fb_client.connection.token_state == "failing"
    assert ApiCall.objects.filter(operation="clients.list").count() == 1  # no retry on a refused refresh


def test_waiting_too_long_for_another_workers_token_refresh_is_a_lock_wait_not_a_failure(fb, fb_client, settings):
    """Issue 16: a lock wait is not an attempt failure. The token refresh's lease (SQLite; PostgreSQL
    locks the row) held by another worker past TOKEN_REFRESH_WAIT_SECONDS raised a plain
    RetryableError, which the engine counts as a failed attempt ("Failed, will retry")."""
    from datetime import timedelta

    from django.db import connection as db
    from django.utils import timezone

    from integrations.errors import LockBusy
    from integrations.models import SyncLock

    if db.vendor == "postgresql":
        pytest.skip("PostgreSQL waits on the Connection row lock instead of a lease")
    settings.TOKEN_REFRESH_WAIT_SECONDS = 0.2
    tokens_expire_all(account=fb.account)
    SyncLock.objects.create(key=f"token-refresh:{fb_client.connection.pk}", holder="other-host:1",
                            expires_at=timezone.now() + timedelta(minutes=5))
    with pytest.raises(LockBusy, match="Another worker is refreshing"):
        fb_client.clients.list()

"""The callback.verify handshake against strangers, over real HTTP with the FreshBooks simulator.

A verification request carries nothing that proves who sent it. Ledgerlink takes one only for
a callback it registered that awaits verification, never for a verified one, a few per callback
at most, and keeps a verifier as a signing key only once FreshBooks accepted it (the PUT)."""
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from django.utils import timezone
from django_q.models import OrmQ

from integrations.connectors.freshbooks.services import (
    MAX_VERIFIER_CANDIDATES,
    PENDING_KEY,
    freshbooks_callback_confirm,
    freshbooks_callbacks_ensure,
    freshbooks_webhook_url,
)
from integrations.connectors.freshbooks.webhooks import SIGNATURE_HEADER, signature_compute
from integrations.errors import FatalError
from integrations.models import Connection, InboundEvent
from integrations.sandbox.freshbooks.deliveries import deliveries_drain
from integrations.sandbox.freshbooks.models import SimCallback

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CONFIRM_TASK = "integrations.connectors.freshbooks.tasks.callback_confirm"
PLANTED = "planted-verifier-0123456789"


def confirm_tasks() -> int:
    return sum(row.task["func"] == CONFIRM_TASK for row in OrmQ.objects.all())


def fresh(connection) -> Connection:
    return Connection.objects.get(pk=connection.pk)


def verify_post(connection, callback_id, verifier, *, account_id, signed=False):
    """An unsigned (or self-signed, which proves nothing) callback.verify, as anyone can send it."""
    params = [("name", "callback.verify"), ("object_id", str(callback_id)), ("verifier", verifier),
              ("account_id", account_id), ("user_id", "1")]
    headers = {**FORM, SIGNATURE_HEADER: signature_compute(verifier, params)} if signed else FORM
    return requests.post(freshbooks_webhook_url(connection=connection), data=urlencode(params), headers=headers,
                         timeout=10)


def delivery_post(connection, verifier, *, account_id, object_id="1"):
    params = [("name", "client.update"), ("object_id", object_id), ("account_id", account_id), ("business_id", "1"),
              ("identity_id", "1"), ("user_id", "1")]
    return requests.post(freshbooks_webhook_url(connection=connection), data=urlencode(params),
                         headers={**FORM, SIGNATURE_HEADER: signature_compute(verifier, params)}, timeout=10)


@pytest.fixture
def registered(fb, fb_client, live_server, settings):
    """Four callbacks registered at FreshBooks, their verification requests not yet sent."""
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    callbacks = freshbooks_callbacks_ensure(connection=fb_client.connection)
    OrmQ.objects.all().delete()
    return [str(c["callbackid"]) for c in callbacks]


@pytest.fixture
def verified(registered, fb_client):
    assert deliveries_drain() == 4
    for callback_id in registered:
        freshbooks_callback_confirm(connection=fb_client.connection, callback_id=callback_id)
    assert SimCallback.objects.filter(verified=True).count() == 4
    OrmQ.objects.all().delete()
    return registered


def test_registered_callbacks_await_verification(registered, fb_client):
    assert set(fresh(fb_client.connection).get_secret(PENDING_KEY)) == set(registered)
    assert not fresh(fb_client.connection).get_secret("webhook_verifiers")


def test_a_verifier_for_a_callback_not_registered_is_refused_and_nothing_is_written(registered, fb, fb_client):
    before = fresh(fb_client.connection).secrets_encrypted
    for signed in (False, True):
        response = verify_post(fb_client.connection, 987654, PLANTED, account_id=fb.account.account_id, signed=signed)
        assert response.status_code == 400
        assert "not one this connection registered" in response.json()["error"]
    assert fresh(fb_client.connection).secrets_encrypted == before
    assert not InboundEvent.objects.exists() and confirm_tasks() == 0
    # … and a delivery signed with it is refused.
    assert delivery_post(fb_client.connection, PLANTED, account_id=fb.account.account_id).status_code == 401


def test_the_verifier_of_a_verified_callback_is_never_replaced(verified, fb, fb_client):
    genuine = dict(fresh(fb_client.connection).get_secret("webhook_verifiers"))
    response = verify_post(fb_client.connection, verified[0], PLANTED, account_id=fb.account.account_id, signed=True)
    assert response.status_code == 409 and "already verified" in response.json()["error"]
    assert fresh(fb_client.connection).get_secret("webhook_verifiers") == genuine
    assert confirm_tasks() == 0
    # Genuine deliveries still verify; the planted verifier signs nothing.
    assert delivery_post(fb_client.connection, genuine[verified[0]], account_id=fb.account.account_id).status_code == 200
    assert delivery_post(fb_client.connection, PLANTED, account_id=fb.account.account_id,
                         object_id="2").status_code == 401


def test_only_the_verifier_freshbooks_accepts_is_kept(registered, fb, fb_client):
    target = registered[0]
    # A stranger gets in first with a verifier of their own; then FreshBooks' real request arrives.
    assert verify_post(fb_client.connection, target, PLANTED, account_id=fb.account.account_id).status_code == 200
    assert confirm_tasks() == 1
    assert deliveries_drain() == 4
    assert confirm_tasks() == 4  # one per callback: the second verifier of `target` queued none
    freshbooks_callback_confirm(connection=fb_client.connection, callback_id=target)
    real = SimCallback.objects.get(pk=target)
    assert real.verified
    connection = fresh(fb_client.connection)
    assert connection.get_secret("webhook_verifiers") == {target: real.verifier}
    assert target not in connection.get_secret(PENDING_KEY)
    assert delivery_post(connection, PLANTED, account_id=fb.account.account_id).status_code == 401
    assert delivery_post(connection, real.verifier, account_id=fb.account.account_id).status_code == 200
    # A repeated confirm task (a retry) confirms the kept verifier again and changes nothing.
    assert freshbooks_callback_confirm(connection=connection, callback_id=target)["verified"]
    assert fresh(connection).get_secret("webhook_verifiers") == {target: real.verifier}


def test_a_verifier_freshbooks_refuses_is_forgotten(registered, fb, fb_client):
    target = registered[0]
    assert verify_post(fb_client.connection, target, PLANTED, account_id=fb.account.account_id).status_code == 200
    with pytest.raises(FatalError, match="refused the 1 verifier"):
        freshbooks_callback_confirm(connection=fb_client.connection, callback_id=target)
    connection = fresh(fb_client.connection)
    assert not connection.get_secret("webhook_verifiers")
    assert connection.get_secret(PENDING_KEY)[target] == []  # still awaiting the real one
    assert not SimCallback.objects.get(pk=target).verified
    assert delivery_post(connection, PLANTED, account_id=fb.account.account_id).status_code == 401


def test_what_strangers_can_write_is_bounded(registered, fb, fb_client):
    target = registered[0]
    answers = [verify_post(fb_client.connection, target, f"{PLANTED}-{i}", account_id=fb.account.account_id)
               for i in range(MAX_VERIFIER_CANDIDATES + 5)]
    assert [a.status_code for a in answers] == [200] * MAX_VERIFIER_CANDIDATES + [429] * 5
    assert "send it again later" in answers[-1].json()["error"]
    for i in range(20):  # and for callbacks that do not exist, nothing at all
        assert verify_post(fb_client.connection, 5000 + i, PLANTED, account_id=fb.account.account_id).status_code == 400
    connection = fresh(fb_client.connection)
    assert len(connection.get_secret(PENDING_KEY)[target]) == MAX_VERIFIER_CANDIDATES
    assert sum(map(len, connection.get_secret(PENDING_KEY).values())) == MAX_VERIFIER_CANDIDATES
    assert InboundEvent.objects.count() == MAX_VERIFIER_CANDIDATES
    assert confirm_tasks() == 1


def test_the_simulator_refuses_a_wrong_verifier_like_freshbooks(registered, fb_client):
    for wrong in ("wrong-verifier-000000", "ünïcödé-verifier", ""):
        with pytest.raises(FatalError, match="verifier"):
            fb_client.callbacks.verify(registered[0], wrong)
    assert not SimCallback.objects.get(pk=registered[0]).verified


def test_a_verification_that_arrives_before_the_registration_answer_is_asked_for_again(
        fb, fb_client, live_server, settings, monkeypatch):
    """FreshBooks may send a new callback's verification before its answer to the registration
    reaches us: refused then (not yet known as ours), it is asked for again on a second look."""
    from django_q.models import Schedule

    from integrations.connectors.freshbooks.callbacks import CallbacksApi
    from integrations.connectors.freshbooks.services import VERIFY_RECHECK_SECONDS
    from integrations.connectors.freshbooks.tasks import callbacks_ensure

    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    register = CallbacksApi.register

    def register_then_verify_early(self, event, uri):
        registered = register(self, event, uri)
        assert deliveries_drain() == 1  # the verification reaches us before the registration's answer
        return registered

    monkeypatch.setattr(CallbacksApi, "register", register_then_verify_early)
    callbacks = freshbooks_callbacks_ensure(connection=fb_client.connection)
    monkeypatch.setattr(CallbacksApi, "register", register)
    pending = fresh(fb_client.connection).get_secret(PENDING_KEY)
    assert set(pending) == {str(c["callbackid"]) for c in callbacks} and not any(pending.values())  # all refused

    recheck = Schedule.objects.get(func="integrations.connectors.freshbooks.tasks.callbacks_ensure")
    assert recheck.schedule_type == Schedule.ONCE and recheck.args == repr(fb_client.connection.pk)
    later = recheck.next_run - timezone.now()
    assert timedelta(seconds=VERIFY_RECHECK_SECONDS - 60) < later <= timedelta(seconds=VERIFY_RECHECK_SECONDS)
    callbacks_ensure(fb_client.connection.pk)  # the scheduled second look
    assert deliveries_drain() == 4  # each unverified callback asked for again, and now taken
    for callback in callbacks:
        freshbooks_callback_confirm(connection=fb_client.connection, callback_id=str(callback["callbackid"]))
    assert SimCallback.objects.filter(verified=True).count() == 4

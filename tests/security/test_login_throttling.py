"""Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from
one address, that pair is refused until the cool-off has passed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.test import RequestFactory

from config.security.throttling import client_ip

pytestmark = pytest.mark.django_db
PASSWORD = "throttle-" + "Pw9!" * 3
LIMIT = 3


@pytest.fixture
def staff(settings, django_user_model):
    settings.AXES_FAILURE_LIMIT = LIMIT
    return django_user_model.objects.create_superuser("ops", "ops@example.com", PASSWORD)


def attempt(client, password, address="10.0.0.1"):
    return client.post("/admin/login/?next=/admin/", {"username": "ops", "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address)


def lock_out(client):
    for _ in range(LIMIT - 1):
        response = attempt(client, "wrong")
        assert response.status_code == 200 and "Please enter the correct username and password" in response.content.decode()
    assert attempt(client, "wrong").status_code == 429  # the limit reached: locked from here on


def test_the_attempt_after_the_limit_is_refused_even_with_the_right_password(client, staff):
    lock_out(client)
    refused = attempt(client, "wrong")
    assert refused.status_code == 429 and "locked" in refused.content.decode().lower()
    assert attempt(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(client, staff):
    lock_out(client)
    assert attempt(client, PASSWORD, address="10.0.0.2").status_code == 302


def test_a_good_login_works_after_the_cool_off(client, staff, settings):
    lock_out(client)
    # The cool-off passing, without waiting for it: the failures are moved back beyond it.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
                                 - timedelta(seconds=1))
    assert attempt(client, PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_operator_reset_lifts_the_lock(client, staff):
    lock_out(client)
    assert reset(username="ops") == 1
    assert attempt(client, PASSWORD).status_code == 302


def test_the_limit_and_cool_off_come_from_the_settings():
    from django.conf import settings

    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_the_client_address_behind_trusted_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "10.9.9.9"  # no proxy trusted: the forwarded header is anyone's to write
    settings.LOGIN_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # what our one proxy saw; the left entry is the client's claim

"""Two-factor sign-in (TOTP, django-otp): required for superusers when LEDGERLINK_REQUIRE_2FA is on
(production's default), asked of anyone who enrolled a device, not required in development."""
from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
PASSWORD = "two-factor-" + "Pw9!" * 3


def token_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def device_unthrottle(device: TOTPDevice) -> None:
    """Each wrong code makes the device refuse the next for a growing while: reset, not waited out."""
    device.refresh_from_db()
    device.throttle_reset()


def sign_in(client, username: str):
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302, response.content[:500]


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD)


@pytest.fixture
def required(settings):
    settings.LEDGERLINK_REQUIRE_2FA = True  # production's default (config/settings.py)


def test_a_superuser_without_a_device_reaches_nothing_until_enrolled(client, superuser, required):
    sign_in(client, "boss")
    for path in ("/admin/", "/admin/auth/user/", "/monitoring/dashboard/", "/integrations/reconcile/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/security/2fa/enrol/?next="), path
    page = client.get("/security/2fa/enrol/?next=/admin/")
    assert page.status_code == 200 and "must sign in with a second factor" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=superuser, confirmed=True).exists()

    wrong = client.post("/security/2fa/enrol/", {"token": "000000", "next": "/admin/"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302

    device = TOTPDevice.objects.get(user=superuser, confirmed=False)
    assert "Too many wrong codes" in client.post("/security/2fa/enrol/", {"token": token_for(device)}).content.decode()
    device_unthrottle(device)
    shown_key = re.search(r'<code id="otp-key">([A-Z2-7=]+)</code>', page.content.decode()).group(1)
    assert shown_key == base64.b32encode(device.bin_key).decode()
    enrolled = client.post("/security/2fa/enrol/", {"token": token_for(device), "next": "/admin/"})
    assert enrolled.status_code == 302 and enrolled["Location"] == "/admin/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/admin/").status_code == 200
    assert client.get("/monitoring/dashboard/").status_code == 200


def test_a_superuser_with_a_device_signs_in_with_a_code(client, superuser, required):
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    sign_in(client, "boss")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == "/security/2fa/verify/?next=%2Fadmin%2F"
    assert client.post("/security/2fa/verify/", {"token": "12345", "next": "/admin/"}).status_code == 400
    refused = client.post("/security/2fa/verify/", {"token": "000000", "next": "/admin/"})
    assert refused.status_code == 400 and "not right" in refused.content.decode()
    assert "Too many wrong codes" in client.post("/security/2fa/verify/", {"token": token_for(device)}).content.decode()
    assert client.get("/admin/").status_code == 302
    device_unthrottle(device)
    verified = client.post("/security/2fa/verify/", {"token": token_for(device), "next": "/admin/"})
    assert verified.status_code == 302 and verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_verify_never_redirects_off_site(client, superuser, required):
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    sign_in(client, "boss")
    response = client.post("/security/2fa/verify/", {"token": token_for(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_development_does_not_require_it(client, superuser, settings):
    assert settings.LEDGERLINK_REQUIRE_2FA is False  # the test settings are not production
    sign_in(client, "boss")
    assert client.get("/admin/").status_code == 200


def test_an_enrolled_staff_user_is_asked_for_a_code_even_when_not_required(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password=PASSWORD, is_staff=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, "clerk")
    assert client.get("/admin/")["Location"].startswith("/security/2fa/verify/")


def test_the_admin_shows_no_device_key(admin_client, superuser):
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key not in page.content.decode()
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403


@pytest.mark.slow  # runs manage.py in a subprocess: the default is decided when the settings load
@pytest.mark.parametrize("env, required", [
    ({"DJANGO_ENV": "production"}, "True"),
    ({"DJANGO_ENV": "production", "LEDGERLINK_REQUIRE_2FA": "false"}, "False"),
    ({"DJANGO_ENV": "development"}, "False"),
])
def test_required_by_default_in_production_only(env, required):
    import os
    import subprocess
    import sys

    from cryptography.fernet import Fernet
    from django.conf import settings

    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "LEDGERLINK_REQUIRE_2FA")}
    base.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "x",
                 "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "DATABASE_URL": "sqlite:///unused.sqlite3",
                 **env})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                             "print(settings.LEDGERLINK_REQUIRE_2FA)"], cwd=settings.BASE_DIR, env=base,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == required, result.stderr

"""Who owes a second factor (TOTP, django-otp) before using the site."""
from __future__ import annotations

from django.conf import settings
from django_otp import user_has_device


def two_factor_required(user) -> bool:
    """Superusers must enrol a device while LEDGERLINK_REQUIRE_2FA is on (production's default)."""
    return bool(settings.LEDGERLINK_REQUIRE_2FA and user.is_superuser)


def two_factor_owed(user) -> str | None:
    """"verify" (has a device, not verified in this session), "enrol" (must have one, has none), or None."""
    if not user.is_authenticated or not user.is_staff or user.is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    return "enrol" if two_factor_required(user) else None

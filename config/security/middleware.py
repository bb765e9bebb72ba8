"""A signed-in staff user who owes a second factor reaches only the two-factor pages and sign-out."""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from .twofactor import two_factor_owed


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        owed = two_factor_owed(request.user)
        if owed and not self._exempt(request.path):
            return redirect(f"{reverse(f'security:otp_{owed}')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
        pages = reverse("security:otp_verify").removesuffix("verify/")  # the two-factor pages themselves
        return path.startswith((static, pages)) or path in (reverse("admin:logout"), reverse("admin:login"))

"""Which address a sign-in attempt came from, for django-axes (login throttling)."""
from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or behind LOGIN_PROXY_COUNT trusted proxies the address the outermost of them
    saw (counted from the right of X-Forwarded-For: entries further left are the client's to forge)."""
    proxies = settings.LOGIN_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")

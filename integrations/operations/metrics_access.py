"""Who may read ``/metrics``: a bearer token (METRICS_TOKEN) or an address in METRICS_ALLOWED_IPS.
With neither set, nobody: the metrics name connections and flows."""
from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings

from config.security.throttling import client_ip


def _allowed_address(request) -> bool:
    address = client_ip(request)
    if not address or not settings.METRICS_ALLOWED_IPS:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


def metrics_refusal(request) -> tuple[int, str] | None:
    """None when the request may read the metrics, else (HTTP status, why)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = settings.METRICS_TOKEN
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return None
    if _allowed_address(request):
        return None
    if not token:
        return 403, "metrics are off for this address: set METRICS_TOKEN or METRICS_ALLOWED_IPS"
    if not header:
        return 401, "a bearer token is required"
    return 403, "wrong token"

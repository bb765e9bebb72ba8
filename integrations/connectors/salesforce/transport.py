"""Reaching the simulator through simple-salesforce, which always builds
``https://{host[:port]}/services/data/…`` and drops any path of the instance URL.

For sandbox connections only, a transport adapter mounted for exactly that https origin
rewrites each request to the simulator's real root (e.g. ``http://127.0.0.1:8000/sandbox/
salesforce``). Real orgs never get the adapter, so their TLS verification is untouched.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import requests

from config.outbound_http import OutboundAdapter


class SimulatorAdapter(OutboundAdapter):
    """Checked like every outbound call (after the rewrite): the simulator's http://127.0.0.1 root
    passes only where OUTBOUND_URLS_ALLOW_PRIVATE is on, i.e. never in production by default."""

    def __init__(self, https_origin: str, target_root: str):
        super().__init__()
        self.https_origin, self.target_root = https_origin, target_root.rstrip("/")

    def send(self, request, **kwargs):
        request.url = self.target_root + request.url[len(self.https_origin) - 1:]
        return super().send(request, **kwargs)


def https_origin(instance_url: str) -> str:
    """The origin simple-salesforce will call for this instance URL (port 443 dropped)."""
    parts = urlsplit(instance_url)
    port = f":{parts.port}" if parts.port not in (None, 443) else ""
    return f"https://{parts.hostname}{port}/"


def session_for(instance_url: str, *, simulator: bool) -> requests.Session:
    session = requests.Session()
    if simulator:
        origin = https_origin(instance_url)
        session.mount(origin, SimulatorAdapter(origin, instance_url))
    return session

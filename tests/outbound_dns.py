"""Fixtures for outbound URL tests: a patched resolver and no sockets. Nothing reaches the network."""
from __future__ import annotations

import socket

import pytest
from urllib3.util import connection as urllib3_connection

from config import outbound_urls

# The patched resolver's world: names → addresses.
DNS = {
    "api.example.com": ["93.184.216.34"],
    "good.com": ["93.184.216.35"],
    "dual.example.com": ["93.184.216.36", "2606:2800:220:1:248:1893:25c8:1946"],
    "intranet.example.com": ["10.1.2.3"],
    "split.example.com": ["93.184.216.37", "192.168.1.10"],  # one private answer is enough to refuse
    "metadata.example.com": ["169.254.169.254"],
}


@pytest.fixture
def no_network(monkeypatch):
    """The resolver answers from DNS above; any attempt to open a socket is recorded and fails."""
    resolved, connects = [], []

    def resolve(host):
        resolved.append(host)
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "unknown host")
        return DNS[host]

    def connect(address, *args, **kwargs):
        connects.append(address)
        raise OSError("tests never open a socket")

    monkeypatch.setattr(outbound_urls, "host_resolve", resolve)
    monkeypatch.setattr(urllib3_connection, "create_connection", connect)
    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connect(address))
    return {"resolved": resolved, "connects": connects}


@pytest.fixture
def production(settings, no_network):
    settings.OUTBOUND_URLS_ALLOW_PRIVATE = False
    return no_network

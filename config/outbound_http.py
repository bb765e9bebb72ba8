"""The outbound URL rule (config.outbound_urls) applied again when a request is made.

A URL that passed when it was saved may not pass now: a DNS answer can change. So every
session that calls a configured or handed-over URL mounts ``OutboundAdapter``, which

1. checks the request URL before anything is sent (``OutboundRequestRefused``, a
   requests.InvalidURL whose message is the validator's sentence), and
2. when private addresses are not allowed, opens the socket itself: it resolves the host
   once, refuses the whole answer if any address is not public, and connects to an address
   of that same answer. A resolver that answers "public" to the check and "private" to the
   connect (DNS rebinding) gains nothing. TLS still verifies the certificate against the
   host name: only the socket's address is pinned.
"""
from __future__ import annotations

import ipaddress

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import connection as urllib3_connection

from config import outbound_urls


class OutboundRequestRefused(requests.exceptions.InvalidURL):
    """Raised before any connection is made; str() is one sentence saying why."""


def _pinned_connect(conn) -> object:
    """Resolve once, refuse the answer unless every address is public, connect to one of them."""
    host = conn._dns_host.strip("[]")
    addresses = [host] if _is_ip(host) else outbound_urls.host_resolve(host)
    for address in addresses:
        reason = outbound_urls.address_refusal(address)
        if reason:
            raise OutboundRequestRefused(f"The request to {host} was refused: it resolves to {address}, "
                                         f"a {reason} address.")
    error: OSError | None = None
    for address in addresses:
        try:
            return urllib3_connection.create_connection(
                (address, conn.port), conn.timeout, source_address=conn.source_address,
                socket_options=conn.socket_options)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host} has no address")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class _PinnedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        if outbound_urls.private_allowed():
            return super()._new_conn()
        return _pinned_connect(self)


class _PinnedHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        if outbound_urls.private_allowed():
            return super()._new_conn()
        return _pinned_connect(self)


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class OutboundAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}

    def send(self, request, **kwargs):
        try:
            outbound_urls.outbound_url_check(request.url, field="The request URL")
        except outbound_urls.OutboundURLRefused as exc:
            raise OutboundRequestRefused(str(exc), request=request) from None
        return super().send(request, **kwargs)


def session_guard(session: requests.Session) -> requests.Session:
    """Mount the guard for every http(s) URL; adapters mounted for a longer prefix keep theirs."""
    for prefix in ("http://", "https://"):
        if not isinstance(session.adapters.get(prefix), OutboundAdapter):
            session.mount(prefix, OutboundAdapter())
    return session


def outbound_session() -> requests.Session:
    return session_guard(requests.Session())

"""The one rule for URLs Ledgerlink calls out to (connections, token responses, alert webhooks).

In production only ``https`` to public addresses is allowed: no plain http, no loopback,
link-local (169.254.x, the cloud metadata address), private, shared (100.64/10), reserved or
multicast addresses, whether written as a literal or reached through a host name.
OUTBOUND_URLS_ALLOW_PRIVATE (on by default only in development and test, where the simulators
answer on 127.0.0.1) lifts the https and public-address parts; the rest always holds: only
http(s), no user name or password before the host, no IPv4 address in a legacy numeric form
(``2130706433``, ``0x7f.1``, ``0177.0.0.1``), which browsers and resolvers read as an address
but a reader does not.

Pure: no Django models, no HTTP. The settings module and the config package are the one place
both integrations and monitoring may import (see the import contracts in pyproject.toml).
Messages name the host, never the whole URL: a chat webhook URL carries its own token.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings

# A DNS top-level label is never all digits, so a host whose last label is a number is an address.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]


class OutboundURLRefused(ValueError):
    """A URL Ledgerlink will not call; str() is one sentence naming the field and the reason."""


def private_allowed() -> bool:
    return bool(getattr(settings, "OUTBOUND_URLS_ALLOW_PRIVATE", False))


def host_resolve(host: str) -> list[str]:
    """Every address the resolver gives for host (tests replace this; they never use the network)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


def address_refusal(address: str) -> str | None:
    """Why Ledgerlink may not call this IP address ("loopback", "private", …), or None when public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            return address_refusal(str(embedded))
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.version == 4 and ip in _SHARED:
        return "shared (carrier-grade NAT)"
    if any(ip.version == net.version and ip in net for net in _PRIVATE):
        return "private"
    if not ip.is_global or ip.is_reserved:
        return "reserved"
    return None


def outbound_url_check(url: str, *, field: str = "The URL", allow_private: bool | None = None) -> None:
    """Raise OutboundURLRefused unless Ledgerlink may call ``url`` (see the module docstring).

    Host names are resolved (through ``host_resolve``) unless private addresses are allowed;
    every address of the answer must be public.
    """
    allow_private = private_allowed() if allow_private is None else allow_private
    if not isinstance(url, str):
        raise OutboundURLRefused(f"{field} must be a URL written as text.")
    if not url.strip():
        raise OutboundURLRefused(f"{field} is empty.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise OutboundURLRefused(f"{field} contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise OutboundURLRefused(f"{field} is not a valid URL (its host or port cannot be read).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundURLRefused(f"{field} must be an http(s) URL" + (f", not {scheme}:." if scheme else "."))
    if scheme != "https" and not allow_private:
        raise OutboundURLRefused(f"{field} must use https:// (plain http is allowed only in development).")
    if "@" in parts.netloc:
        raise OutboundURLRefused(f"{field} must not carry a user name or password before the host (user@host).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundURLRefused(f"{field} has no host.")
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is None and _NUMERIC_HOST.match(host):
        raise OutboundURLRefused(f"{field} writes its host '{host}' as a number in a non-standard form; "
                                 "write the host name or the dotted address.")
    if allow_private:
        return
    if literal is not None:
        addresses = [host]
    elif host.lower() == "localhost" or host.lower().endswith(".localhost"):
        addresses = ["127.0.0.1"]
    else:
        try:
            addresses = host_resolve(host)
        except (OSError, UnicodeError):
            raise OutboundURLRefused(f"{field} names the host {host}, which could not be resolved.") from None
        if not addresses:
            raise OutboundURLRefused(f"{field} names the host {host}, which could not be resolved.")
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            where = host if address == host else f"{host} ({address})"
            article = "an" if reason[0] in "aeiou" else "a"
            raise OutboundURLRefused(f"{field} points at {where}, {article} {reason} address; only public "
                                     "addresses are allowed.")

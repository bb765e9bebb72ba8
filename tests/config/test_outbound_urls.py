"""The outbound URL rule (config/outbound_urls.py) and its second check when a request is made
(config/outbound_http.py). Nothing here reaches the network: host names are answered by a
patched resolver, and opening a socket fails the test."""
from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest
import requests

from config import outbound_urls
from config.outbound_http import OutboundAdapter, OutboundRequestRefused, outbound_session
from config.outbound_urls import OutboundURLRefused, outbound_url_check
from tests import outbound_dns

# The patched resolver and the ban on sockets (tests/outbound_dns.py).
no_network, production = outbound_dns.no_network, outbound_dns.production

REFUSED_IN_PRODUCTION = [
    ("http://api.example.com/", "must use https://"),
    ("ftp://api.example.com/file", "must be an http(s) URL, not ftp:"),
    ("javascript:alert(1)", "must be an http(s) URL, not javascript:"),
    ("file:///etc/passwd", "must be an http(s) URL, not file:"),
    ("api.example.com/no-scheme", "must be an http(s) URL."),
    ("https://127.0.0.1/", "a loopback address"),
    ("https://127.8.9.10:8443/x", "a loopback address"),
    ("https://localhost/", "a loopback address"),
    ("https://[::1]/", "a loopback address"),
    ("https://169.254.169.254/latest/meta-data/", "a link-local address"),
    ("https://[fe80::1]/", "a link-local address"),
    ("https://10.0.0.8/", "a private address"),
    ("https://172.16.0.1/", "a private address"),
    ("https://172.31.255.254/", "a private address"),
    ("https://192.168.0.10/", "a private address"),
    ("https://[fd00::1]/", "a private address"),
    ("https://100.64.0.1/", "a shared (carrier-grade NAT) address"),
    ("https://0.0.0.0/", "an unspecified address"),
    ("https://224.0.0.1/", "a multicast address"),
    ("https://192.0.2.1/", "a reserved address"),  # documentation range
    ("https://240.0.0.1/", "a reserved address"),
    ("https://[::ffff:127.0.0.1]/", "a loopback address"),
    ("https://[::ffff:169.254.169.254]/", "a link-local address"),
    ("https://[64:ff9b::a00:1]/", "a private address"),  # NAT64 of 10.0.0.1
    ("https://[2002:c0a8:101::]/", "a private address"),  # 6to4 of 192.168.1.1
    ("https://2130706433/", "non-standard form"),  # 127.0.0.1 as one decimal number
    ("https://0x7f000001/", "non-standard form"),
    ("https://0177.0.0.1/", "non-standard form"),  # octal
    ("https://127.1/", "non-standard form"),
    ("https://good.com@127.0.0.1/", "user name or password"),
    ("https://user:pass@api.example.com/", "user name or password"),
    ("https://intranet.example.com/", "intranet.example.com (10.1.2.3), a private address"),
    ("https://split.example.com/", "(192.168.1.10), a private address"),
    ("https://metadata.example.com/", "(169.254.169.254), a link-local address"),
    ("https://unknown.example.com/", "could not be resolved"),
    ("https://api.example.com:99999/", "not a valid URL"),
    ("https://api.example.com/a b", "spaces or control characters"),
    ("", "is empty"),
]


@pytest.mark.parametrize("url, reason", REFUSED_IN_PRODUCTION)
def test_production_refuses(production, url, reason):
    with pytest.raises(OutboundURLRefused, match=r"^The base URL .*" + _escape(reason)):
        outbound_url_check(url, field="The base URL")


@pytest.mark.parametrize("url", [
    "https://api.example.com/", "https://api.example.com:8443/v1/?q=1", "https://dual.example.com/",
    "https://93.184.216.34/", "https://[2606:2800:220:1:248:1893:25c8:1946]/", "HTTPS://API.EXAMPLE.COM/",
])
def test_production_allows_https_to_public_addresses(production, url):
    outbound_url_check(url)


def test_production_resolves_names_through_the_resolver_only(production):
    outbound_url_check("https://api.example.com/")
    assert production["resolved"] == ["api.example.com"] and production["connects"] == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/sandbox/salesforce", "http://localhost:8000/",
                                 "https://10.0.0.8/", "http://[::1]:8000/", "http://intranet.example.com/"])
def test_development_allows_http_and_private_addresses_without_resolving(settings, no_network, url):
    settings.OUTBOUND_URLS_ALLOW_PRIVATE = True
    outbound_url_check(url)
    assert no_network["resolved"] == []


@pytest.mark.parametrize("url, reason", [
    ("ftp://127.0.0.1/", "not ftp:"), ("javascript:alert(1)", "not javascript:"),
    ("http://good.com@127.0.0.1/", "user name or password"), ("http://2130706433/", "non-standard form"),
])
def test_development_still_refuses_other_schemes_userinfo_and_numeric_hosts(settings, no_network, url, reason):
    settings.OUTBOUND_URLS_ALLOW_PRIVATE = True
    with pytest.raises(OutboundURLRefused, match=_escape(reason)):
        outbound_url_check(url)


@pytest.mark.parametrize("env, allowed", [
    ({"DJANGO_ENV": "production"}, False),
    ({"DJANGO_ENV": "development"}, True),
    ({"DJANGO_ENV": "production", "OUTBOUND_URLS_ALLOW_PRIVATE": "true"}, True),  # explicit, and flagged (W021)
])
def test_the_setting_is_off_by_default_only_in_production(monkeypatch, env, allowed):
    """The settings module evaluated in this process (no subprocess) under each environment."""
    monkeypatch.delenv("OUTBOUND_URLS_ALLOW_PRIVATE", raising=False)
    for name, value in {"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://u@localhost/db", **env}.items():
        monkeypatch.setenv(name, value)
    saved = dict(os.environ)  # a developer's .env is read into os.environ: put it back as it was
    try:
        values = runpy.run_path(str(Path(outbound_urls.__file__).with_name("settings.py")))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert values["OUTBOUND_URLS_ALLOW_PRIVATE"] is allowed


def test_refusal_names_the_host_but_never_the_path_or_query(production):
    with pytest.raises(OutboundURLRefused) as caught:
        outbound_url_check("https://intranet.example.com/services/T0/B0/hook-token?key=secret")
    assert "hook-token" not in str(caught.value) and "secret" not in str(caught.value)


# -- when a request is made ------------------------------------------------------------------
def test_request_to_a_name_resolving_to_a_private_address_is_refused_before_connecting(production):
    with pytest.raises(OutboundRequestRefused, match=r"intranet\.example\.com \(10\.1\.2\.3\), a private"):
        outbound_session().get("https://intranet.example.com/api", timeout=1)
    assert production["connects"] == []


def test_request_to_a_literal_metadata_address_is_refused_before_connecting(production):
    with pytest.raises(OutboundRequestRefused, match="link-local"):
        outbound_session().get("https://169.254.169.254/latest/meta-data/", timeout=1)
    assert production["connects"] == []


def test_rebinding_between_the_check_and_the_connect_is_refused(production, monkeypatch):
    """The URL check sees a public answer; the socket's own lookup sees a private one."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(outbound_urls, "host_resolve", lambda host: next(answers))
    with pytest.raises(requests.ConnectionError, match="resolves to 127.0.0.1, a loopback address"):
        outbound_session().get("https://rebind.example.com/", timeout=1)
    assert production["connects"] == []


def test_the_socket_goes_to_the_address_that_was_checked(production):
    with pytest.raises(requests.ConnectionError):
        outbound_session().get("https://api.example.com/", timeout=1)
    assert production["connects"] == [("93.184.216.34", 443)]  # never a second, unchecked lookup


def test_development_requests_keep_the_normal_connection_path(settings, no_network):
    settings.OUTBOUND_URLS_ALLOW_PRIVATE = True
    with pytest.raises(requests.ConnectionError):
        outbound_session().get("http://127.0.0.1:9/", timeout=1)
    assert no_network["resolved"] == [] and no_network["connects"]  # tried (and failed) as usual


def test_adapter_refuses_a_non_http_url_even_when_mounted_elsewhere(settings):
    settings.OUTBOUND_URLS_ALLOW_PRIVATE = True
    session = requests.Session()
    session.mount("ftp://", OutboundAdapter())
    with pytest.raises(OutboundRequestRefused, match="not ftp:"):
        session.get("ftp://127.0.0.1/file")


def _escape(text: str) -> str:
    import re

    return re.escape(text)

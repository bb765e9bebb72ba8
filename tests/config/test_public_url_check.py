"""FreshBooks accepts only registered https redirect URIs, built from LEDGERLINK_PUBLIC_URL: the
deploy check fails in production when it is not https."""
from __future__ import annotations

from django.core.checks import run_checks


def _ids() -> list[str]:
    return [e.id for e in run_checks(include_deployment_checks=True) if e.id.startswith("ledgerlink.")]


def test_production_with_an_http_public_url_fails_the_deploy_check(settings):
    settings.PRODUCTION, settings.OUTBOUND_URLS_ALLOW_PRIVATE = True, False
    settings.LEDGERLINK_PUBLIC_URL = "http://ledgerlink.example.com"
    errors = [e for e in run_checks(include_deployment_checks=True) if e.id == "ledgerlink.E020"]
    assert len(errors) == 1 and errors[0].level >= 40 and "LEDGERLINK_PUBLIC_URL" in errors[0].msg


def test_production_with_an_https_public_url_passes(settings):
    settings.PRODUCTION, settings.OUTBOUND_URLS_ALLOW_PRIVATE = True, False
    settings.LEDGERLINK_PUBLIC_URL = "https://ledgerlink.example.com"
    assert "ledgerlink.E020" not in _ids()


def test_development_may_use_http(settings):
    settings.PRODUCTION = False
    settings.LEDGERLINK_PUBLIC_URL = "http://127.0.0.1:8000"
    assert "ledgerlink.E020" not in _ids()


def test_private_outbound_urls_in_production_are_flagged(settings):
    settings.PRODUCTION, settings.OUTBOUND_URLS_ALLOW_PRIVATE = True, True
    settings.LEDGERLINK_PUBLIC_URL = "https://ledgerlink.example.com"
    assert "ledgerlink.W021" in _ids()

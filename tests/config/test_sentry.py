"""Sentry (SENTRY_DSN): real SDK events, captured by an in-process transport, carry no secret."""
from __future__ import annotations

import logging

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from config.sentry import sentry_init

CLIENT_SECRET = "cs-" + "Q7wz" * 8
BEARER = "eyJ" + "aBcD" * 10
REFRESH = "rt-" + "9f8e" * 8


class CapturingTransport(Transport):
    envelopes: list = []

    def capture_envelope(self, envelope):
        CapturingTransport.envelopes.append(envelope)


@pytest.fixture
def sentry_events(settings):
    settings.SECRET_KEY = "django-" + "Kx3v" * 12
    settings.METRICS_TOKEN = "metrics-" + "Zz81" * 6
    CapturingTransport.envelopes = []
    sentry_init("https://public@sentry.example.invalid/1", environment="test", transport=CapturingTransport)
    try:
        yield lambda: b"".join(envelope.serialize() for envelope in CapturingTransport.envelopes).decode()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init(release="test")  # no DSN: an inert client for the rest of the run


def _token_exchange(settings):
    signing = settings.SECRET_KEY  # a local variable Sentry reports with the frame  # noqa: F841
    metrics_header = f"token {settings.METRICS_TOKEN}"  # noqa: F841
    raise RuntimeError(f"token exchange failed: client_secret={CLIENT_SECRET} Authorization: Bearer {BEARER}")


def test_exception_events_are_scrubbed(sentry_events, settings):
    try:
        _token_exchange(settings)
    except RuntimeError:
        sentry_sdk.capture_exception()
    logging.getLogger("integrations.connectors").error("refresh failed: refresh_token=%s", REFRESH)
    sentry_sdk.flush()

    sent = sentry_events()
    assert "token exchange failed" in sent and "_token_exchange" in sent  # the events did go out
    assert "refresh failed" in sent
    for secret in (CLIENT_SECRET, BEARER, REFRESH, settings.SECRET_KEY, settings.METRICS_TOKEN):
        assert secret not in sent

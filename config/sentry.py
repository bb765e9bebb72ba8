"""Optional Sentry error reporting (``SENTRY_DSN``), with secrets scrubbed from every event.

Sentry's own scrubber removes values under well-known keys (password, token, …). ``event_scrub``
goes further, before anything leaves the process: every string in the event (messages, exception
values, local variables, breadcrumbs, request data) goes through the masking the logs use
(config/logfilters.py), values under secret-looking keys are replaced, and the values of this
deployment's own secrets (SECRET_KEY, FIELD_ENCRYPTION_KEYS, METRICS_TOKEN) are cut out wherever
they appear.
"""
from __future__ import annotations

import re

from config.logfilters import redact

MASK = "***"
SECRET_KEY_NAMES = re.compile(r"(?i)(secret|token|password|passwd|authorization|cookie|api_?key|signature|"
                              r"credential|private|session|dsn|encryption_keys?|assertion|verifier)")


def _known_secrets() -> list[str]:
    from django.conf import settings

    values = [getattr(settings, "SECRET_KEY", ""), getattr(settings, "METRICS_TOKEN", ""),
              *getattr(settings, "SECRET_KEY_FALLBACKS", []), *getattr(settings, "FIELD_ENCRYPTION_KEYS", [])]
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 8}, key=len, reverse=True)


def _scrub(value, secrets: list[str]):
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return redact(value)
    if isinstance(value, dict):
        return {key: MASK if isinstance(key, str) and SECRET_KEY_NAMES.search(key) and isinstance(
            item, str | int | float | bytes) else _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    return value


def event_scrub(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: the event with every secret masked."""
    return _scrub(event, _known_secrets())


def sentry_init(dsn: str, *, environment: str, traces_sample_rate: float = 0.0, transport=None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=dsn, environment=environment, traces_sample_rate=traces_sample_rate, transport=transport,
                    send_default_pii=False, before_send=event_scrub, before_send_transaction=event_scrub,
                    integrations=[DjangoIntegration()])

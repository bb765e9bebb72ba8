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


def _release() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"ledgerlink@{version('ledgerlink')}"
    except PackageNotFoundError:  # the image installs the dependencies only, and runs the source
        return "ledgerlink"


def sentry_init(dsn: str, *, environment: str, release: str = "", transport=None) -> None:
    """Errors only (no performance tracing), no user details or request bodies, every event scrubbed.
    The release is named (SENTRY_RELEASE, else the package version): left unset, the SDK would ask
    git, which a container does not have."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=dsn, environment=environment, release=release or _release(), transport=transport,
                    before_send=event_scrub, data_collection={"user_info": False, "http_bodies": []},
                    integrations=[DjangoIntegration()])

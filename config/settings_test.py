"""Test settings: the normal settings plus fixed, test-only keys and fast hashing."""
import os

os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("SANDBOX_ENABLED", "true")
# A fixed key so tests never depend on a developer's .env; never used outside tests.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q=")

from .settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# The engine's test flow (tests/integrations/handlers.py); real processes started by tests inherit it.
LEDGERLINK_FLOW_HANDLERS = {**LEDGERLINK_FLOW_HANDLERS, "recording": "tests.integrations.handlers.RecordingHandler",  # noqa: F405
                            "e2e-crash-once": "tests.e2e.handlers.CrashOnceAfterCreateHandler",
                            "e2e-client-crash-once": "tests.e2e.handlers.CrashOnceAfterClientCreateHandler",
                            "e2e-o2c-crash-once": "tests.e2e.handlers.CrashOnceOrderToCashFlow",
                            "e2e-lock-write-back-once": "tests.e2e.handlers.LockedWriteBackOnceHandler"}
# Tests change a connection and post to it within one test, and reuse primary keys across
# tests: each delivery reads its connection (the cache has tests of its own).
WEBHOOK_CONNECTION_CACHE_SECONDS = 0

# A 401 retried on a fresh token needs no pause against the in-process simulators.
TOKEN_RETRY_BACKOFF_SECONDS = 0

# Tests never reach the real ECB: a rates test serves its own stored sample over HTTP; anything else
# that loads rates meets the loopback discard port and fails at once.
MAPPINGS_ECB_RATES_URL = "http://127.0.0.1:9/eurofxref-daily.xml"

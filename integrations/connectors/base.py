"""What every connector shares: an HTTP client with timeouts, no cross-host redirects,
error classification into the engine's classes, API-call logging, and the token store with
single-flight refresh.

A connector's client returns plain data and raises classified errors; it touches the ORM
only through this module (ApiCall logging and the Connection's token fields).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from config.outbound_http import OutboundRequestRefused, session_guard
from integrations.errors import AuthError, FatalError, LockBusy, RetryableError
from integrations.concurrency import connection_slot
from integrations.models import Connection
from integrations.locking import binding_lock
from monitoring.services import api_call_record

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def retry_after_seconds(value: str | None) -> float | None:
    """Parse Retry-After: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


class HttpClient:
    """Base HTTP client bound to one Connection.

    Subclasses set ``system`` and override ``error_from_response`` to turn the system's
    documented error bodies into FatalError/RetryableError messages finance can read.
    """

    system: str = ""
    timeout: float | None = None

    def __init__(self, connection: Connection, *, session: requests.Session | None = None):
        self.connection = connection
        # Every URL is checked again when called (config/outbound_http.py): https to public addresses
        # only, unless OUTBOUND_URLS_ALLOW_PRIVATE (development) says otherwise.
        self.session = session_guard(session or requests.Session())
        self.session.max_redirects = 0

    # -- URLs ------------------------------------------------------------------------------
    def base_url(self) -> str:
        return self.connection.base_url

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        base = self.base_url()
        return urljoin(base if base.endswith("/") else base + "/", path.lstrip("/"))

    # -- the one request path --------------------------------------------------------------
    def request(
        self, method: str, path: str, *, operation: str, record_count: Callable[[requests.Response], int] | int | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204), **kwargs,
    ) -> requests.Response:
        url = self.url(path)
        kwargs.setdefault("timeout", self.timeout or settings.HTTP_TIMEOUT_SECONDS)
        kwargs.setdefault("headers", {})
        kwargs["headers"].update(self.auth_headers())
        # The connection's concurrency limit, across clusters (integrations/concurrency.py).
        with connection_slot(self.connection):
            started = time.monotonic()
            response, error = None, ""
            try:
                # Redirects are never followed: a redirect to another host could leak the token.
                response = self.session.request(method, url, allow_redirects=False, **kwargs)
            except OutboundRequestRefused as exc:
                error = str(exc)
                raise FatalError(f"{self.system_name} was not called: {error} Check the connection's URLs.") from None
            except requests.Timeout:
                error = f"{self.system_name} did not answer within {kwargs['timeout']:.0f} s"
                raise RetryableError(f"{error}; will retry.") from None
            except requests.ConnectionError as exc:
                error = f"Could not reach {self.system_name} ({urlsplit(url).netloc})"
                raise RetryableError(f"{error}: {type(exc).__name__}.") from None
            finally:
                count = 0
                if response is not None and response.status_code in ok and record_count is not None:
                    try:
                        count = record_count(response) if callable(record_count) else int(record_count)
                    except Exception:  # counting is best effort; the call itself succeeded
                        count = 0
                api_call_record(
                    system=self.system, operation=operation, method=method, path=urlsplit(url).path,
                    status_code=response.status_code if response is not None else None,
                    duration_ms=int((time.monotonic() - started) * 1000), record_count=count,
                    error=error, connection_id=self.connection.pk,
                )
        self.after_response(response)
        if response.status_code not in ok:
            raise self.classify(response)
        return response

    @property
    def system_name(self) -> str:
        return dict(Connection._meta.get_field("system").choices).get(self.system, self.system)

    def auth_headers(self) -> dict:
        return {}

    def after_response(self, response: requests.Response) -> None:
        """Hook: read usage headers (e.g. Sforce-Limit-Info) from every response."""

    # -- classification --------------------------------------------------------------------
    def classify(self, response: requests.Response) -> Exception:
        message = self.error_from_response(response)
        status = response.status_code
        if 300 <= status < 400:
            target = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            return FatalError(f"{self.system_name} redirected the request to {target}; redirects are not followed. "
                              "Check the connection's base URL.", http_status=status)
        if status in RETRYABLE_STATUSES:
            return RetryableError(message, http_status=status,
                                  retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        if status == 401:
            return AuthError(message, http_status=status)
        return FatalError(message, http_status=status)

    def error_from_response(self, response: requests.Response) -> str:
        body = (response.text or "").strip().replace("\n", " ")
        return f"{self.system_name} answered {response.status_code}: {body[:300] or response.reason}"


# -- token store ---------------------------------------------------------------------------
@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None = None  # None keeps the stored refresh token
    expires_at: datetime | None = None
    extra_settings: dict = field(default_factory=dict)  # e.g. a Salesforce instance_url

    @classmethod
    def from_expires_in(cls, access_token, refresh_token=None, *, expires_in=None, created_at=None, **extra):
        start = datetime.fromtimestamp(int(created_at), tz=dt_timezone.utc) if created_at else timezone.now()
        expires = start + timedelta(seconds=int(expires_in)) if expires_in else None
        return cls(access_token=access_token, refresh_token=refresh_token, expires_at=expires, extra_settings=extra)


def connection_tokens_store(*, connection: Connection, tokens: TokenSet) -> Connection:
    """Save a new token set (after a code exchange or a refresh) encrypted on the Connection."""
    connection.set_secrets(access_token=tokens.access_token,
                           **({"refresh_token": tokens.refresh_token} if tokens.refresh_token else {}))
    connection.token_expires_at = tokens.expires_at
    connection.token_state = Connection.TokenState.VALID
    connection.last_auth_error = ""
    connection.settings = {**connection.settings, **tokens.extra_settings}
    connection.save(update_fields=["secrets_encrypted", "token_expires_at", "token_state", "last_auth_error",
                                   "settings", "updated_at"])
    return connection


T = TypeVar("T")


def connection_token_refresh(
    *, connection: Connection, stale_access_token: str | None, refresh: Callable[[Connection], TokenSet]
) -> Connection:
    """Refresh the connection's token exactly once however many workers ask at the same moment.

    A worker that waited for the refresher finds a token different from the one that failed
    it and uses that instead of refreshing again, so refresh tokens that die on first use
    (FreshBooks) survive concurrent expiry.

    PostgreSQL: the Connection row is locked (SELECT … FOR UPDATE) around the token request.
    SQLite: a lease lock with no open transaction. Holding SQLite's single write lock across
    the token request would deadlock when the token endpoint is the in-process simulator
    writing to the same database.
    """
    if db_connection.vendor == "postgresql":
        return _refresh_row_locked(connection, stale_access_token, refresh)
    deadline = time.monotonic() + settings.TOKEN_REFRESH_WAIT_SECONDS
    while True:
        try:
            with binding_lock(f"token-refresh:{connection.pk}"):
                connection.__dict__.pop("_secrets_cache", None)
                connection.refresh_from_db()
                return _refresh_unless_done(connection, stale_access_token, refresh)
        except LockBusy:
            if time.monotonic() > deadline:
                # A wait for another worker, not a failure of the remote system: the engine queues the
                # item again without counting an attempt or showing it failed (README "Locks and waits").
                raise LockBusy("Another worker is refreshing this connection's token and has not "
                               "finished; this item runs again when it is done.", retry_after=5) from None
            time.sleep(0.05)  # another worker is refreshing: wait for its token


def _refresh_row_locked(connection, stale_access_token, refresh) -> Connection:
    failure: AuthError | None = None
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        try:
            _refresh_unless_done(locked, stale_access_token, refresh, record_failure=False)
        except AuthError as exc:
            failure = exc  # recorded after the rollback, or the failing state would be lost too
    if failure is not None:
        connection_auth_failed(connection=connection, reason=str(failure))
        raise failure
    connection.__dict__.pop("_secrets_cache", None)
    connection.refresh_from_db()
    return connection


def _refresh_unless_done(connection, stale_access_token, refresh, record_failure: bool = True) -> Connection:
    current = connection.get_secret("access_token")
    expired = connection.token_expires_at is not None and connection.token_expires_at <= timezone.now()
    if current and current != stale_access_token and not expired:
        return connection  # someone else refreshed while we waited
    try:
        return connection_tokens_store(connection=connection, tokens=refresh(connection))
    except AuthError as exc:
        if record_failure:
            connection_auth_failed(connection=connection, reason=str(exc))
        raise


def auth_retried(send: Callable[[], T], *, refresh: Callable[[], object], system_name: str,
                 retry_if: Callable[[AuthError], bool] = lambda exc: True) -> T:
    """One call, with a 401 retried on a fresh token before anyone is told to reconnect.

    An expired token is not a dead letter: a gateway may answer 401 several times in a row
    (a token expired early, workers racing for the new one). Each 401 gets a refresh
    (``refresh``: single-flight, connection_token_refresh, so concurrent workers share one)
    and another try, up to ``TOKEN_RETRY_ATTEMPTS`` calls with a short backoff between them.
    Only a refresh the token endpoint itself refuses (an AuthError from ``refresh``, recorded
    on the connection as failing) means reconnect. Still 401 with tokens the endpoint keeps
    issuing is a RetryableError: the item is retried later, the connection is not failing.
    ``retry_if`` says whether an AuthError is a refused call worth a fresh token (not, say,
    a sign-in that already failed)."""
    attempts = max(1, int(settings.TOKEN_RETRY_ATTEMPTS))
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except AuthError as exc:
            if not retry_if(exc):
                raise
            refused = exc
        if attempt == attempts:
            break
        refresh()  # an AuthError here is the token endpoint refusing us: that one is final
        time.sleep(min(settings.TOKEN_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1), 5.0))
    raise RetryableError(f"{system_name} refused {attempts} fresh access tokens in a row ({refused.message.rstrip('.')}); "
                         "its token endpoint still issues them, so the connection is not marked failing. Will retry.",
                         http_status=401)


def connection_auth_failed(*, connection: Connection, reason: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        token_state=Connection.TokenState.FAILING, last_auth_error=reason[:2000], updated_at=timezone.now()
    )
    connection.token_state, connection.last_auth_error = Connection.TokenState.FAILING, reason
    logger.warning("Authentication failing for connection %s: %s", connection.pk, reason[:300])

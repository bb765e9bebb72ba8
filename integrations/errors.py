"""The engine's error taxonomy. Connectors classify every failure into one of these, once.

- RetryableError: transient (429, 5xx, timeouts, lock errors, expired token mid-refresh);
  the engine backs off (honouring retry_after) and tries again, up to the attempt limit.
- FatalError: permanent (validation, missing required field, unknown reference, revoked
  credentials); straight to the dead-letter list with the reason. Replayable after a fix.
- SkippableError: nothing to do for this record (deleted at the source, filtered out).
- ConflictHeld: both sides changed; the item waits for a person to choose.
- MappingError (from mappings): the data or the mapping must be fixed; dead letter.
"""
from __future__ import annotations

from mappings.errors import FieldError, MappingError  # noqa: F401  (re-exported)


class SyncError(Exception):
    """Base class. ``message`` is shown to finance staff, so write it for them."""

    def __init__(self, message: str, *, http_status: int | None = None, field: str = "", detail: object = None):
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.field = field
        self.detail = detail


class RetryableError(SyncError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class FatalError(SyncError):
    pass


class AuthError(FatalError):
    """Credentials are missing, revoked or refused after one refresh: reconnect the system."""


class SkippableError(SyncError):
    pass


class ConflictHeld(SyncError):
    """Both sides changed since the last sync and the flow's policy asks a person to choose."""

    def __init__(self, message: str, *, ours: dict | None = None, theirs: dict | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.ours = ours or {}
        self.theirs = theirs or {}


class LockBusy(RetryableError):
    """Another worker holds the lock on this record; try again shortly."""


class UnknownFlowKind(LookupError):
    """A flow names a kind no handler is registered for (a dead letter until the kind is fixed)."""

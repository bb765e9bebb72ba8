"""Per-API-call state: who writes (for changeOrigin) and the transaction key shared by all
change events of one call, as on the real event bus."""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class WriteContext:
    origin: str = ""  # changeOrigin, e.g. "com/salesforce/api/rest/62.0;client=Ledgerlink-3"
    user_id: str = ""
    transaction_key: str = field(default_factory=lambda: str(uuid.uuid4()))
    sequence: int = 0
    # The org's schema as this call's user sees it (catalog.py), computed once per API call;
    # cleared when the call creates a field or changes field access.
    schema_cache: dict = field(default_factory=dict)

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


_current: contextvars.ContextVar[WriteContext | None] = contextvars.ContextVar("sf_write_context", default=None)


def write_context() -> WriteContext:
    ctx = _current.get()
    if ctx is None:  # writes from the simulator's own pages: a UI change, no API origin
        ctx = WriteContext()
        _current.set(ctx)
    return ctx


def context_current() -> WriteContext | None:
    """The API call's context, or None outside one (the simulator's own pages, workers)."""
    return _current.get()


def schema_cache_clear() -> None:
    ctx = _current.get()
    if ctx is not None:
        ctx.schema_cache.clear()


@contextmanager
def write_context_use(ctx: WriteContext):
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def origin_for(api_version: str, call_options: str) -> str:
    """changeOrigin from the writer's Sforce-Call-Options header (client=<id>)."""
    client = ""
    for part in (call_options or "").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "client" and value.strip():
            client = value.strip()
    origin = f"com/salesforce/api/rest/{api_version}"
    return f"{origin};client={client}" if client else origin

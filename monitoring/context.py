"""Which sync item the current code is working for, so API calls can be linked to it."""
from contextvars import ContextVar

current_sync_item_id: ContextVar[int | None] = ContextVar("current_sync_item_id", default=None)

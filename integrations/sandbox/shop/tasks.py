"""django-q2 entry point of the shop simulator's outbox."""
from .services import outbox_drain as _drain


def outbox_drain() -> dict:
    return _drain()

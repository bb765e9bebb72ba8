"""django-q2 entry points of the FreshBooks simulator."""
from .deliveries import deliveries_drain as _drain


def deliveries_drain() -> int:
    return _drain()

"""django-q2 entry points of the Salesforce simulator."""
from .events import deliveries_drain


def sandbox_salesforce_deliver() -> dict:
    return deliveries_drain()

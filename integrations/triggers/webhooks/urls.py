"""Public webhook receivers: /api/webhooks/<system>/<connection_id>/, one per connector with a
receiver. The paths and URL names are part of the public URL contract in PRODUCT.md (each
connector names its URL in ``webhook_url_name``)."""
from django.urls import path

from integrations.connectors.registry import CONNECTORS
from integrations.triggers.webhooks.base import WebhookReceiver


def webhook_urlpatterns(connectors=CONNECTORS) -> list:
    return [
        path(f"{system}/<int:connection_id>/", WebhookReceiver.as_view(system=system), name=connector.webhook_url_name)
        for system, connector in connectors.items() if connector.receiver is not None
    ]


urlpatterns = webhook_urlpatterns()

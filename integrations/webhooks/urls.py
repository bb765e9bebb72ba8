"""Public webhook receivers (paths are part of the public URL contract in PRODUCT.md)."""
from django.urls import path

from .freshbooks import FreshBooksWebhookReceiver
from .salesforce import SalesforceReceiver

urlpatterns: list = [
    path("freshbooks/<int:connection_id>/", FreshBooksWebhookReceiver.as_view(), name="webhooks-freshbooks"),
    path("salesforce/<int:connection_id>/", SalesforceReceiver.as_view(), name="webhook-salesforce"),
]

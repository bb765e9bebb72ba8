"""Public webhook receivers (paths are part of the public URL contract in PRODUCT.md)."""
from django.urls import path

from .salesforce import SalesforceReceiver

urlpatterns: list = [
    path("salesforce/<int:connection_id>/", SalesforceReceiver.as_view(), name="webhook-salesforce"),
]

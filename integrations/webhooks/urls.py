"""Public webhook receivers (paths are part of the public URL contract in PRODUCT.md)."""
from django.urls import path

from .freshbooks import FreshBooksWebhookReceiver
from .salesforce import SalesforceReceiver
from .shopify import ShopifyReceiver
from .woocommerce import WooCommerceReceiver

urlpatterns: list = [
    path("freshbooks/<int:connection_id>/", FreshBooksWebhookReceiver.as_view(), name="webhooks-freshbooks"),
    path("salesforce/<int:connection_id>/", SalesforceReceiver.as_view(), name="webhook-salesforce"),
    path("shopify/<int:connection_id>/", ShopifyReceiver.as_view(), name="webhook-shopify"),
    path("woocommerce/<int:connection_id>/", WooCommerceReceiver.as_view(), name="webhook-woocommerce"),
]

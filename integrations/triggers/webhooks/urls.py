"""Public webhook receivers (paths are part of the public URL contract in PRODUCT.md)."""
from django.urls import path

from integrations.triggers.webhooks.freshbooks import FreshBooksWebhookReceiver
from integrations.triggers.webhooks.salesforce import SalesforceReceiver
from integrations.triggers.webhooks.shopify import ShopifyReceiver
from integrations.triggers.webhooks.woocommerce import WooCommerceReceiver

urlpatterns: list = [
    path("freshbooks/<int:connection_id>/", FreshBooksWebhookReceiver.as_view(), name="webhooks-freshbooks"),
    path("salesforce/<int:connection_id>/", SalesforceReceiver.as_view(), name="webhook-salesforce"),
    path("shopify/<int:connection_id>/", ShopifyReceiver.as_view(), name="webhook-shopify"),
    path("woocommerce/<int:connection_id>/", WooCommerceReceiver.as_view(), name="webhook-woocommerce"),
]

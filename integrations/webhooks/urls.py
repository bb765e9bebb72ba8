"""Public webhook receivers (paths are part of the public URL contract in PRODUCT.md)."""
from django.urls import path

from .shopify import ShopifyReceiver
from .woocommerce import WooCommerceReceiver

urlpatterns: list = [
    path("shopify/<int:connection_id>/", ShopifyReceiver.as_view(), name="webhook-shopify"),
    path("woocommerce/<int:connection_id>/", WooCommerceReceiver.as_view(), name="webhook-woocommerce"),
]

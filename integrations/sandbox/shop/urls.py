"""/sandbox/shop/: a small shop that emits signed Shopify- and WooCommerce-shaped order webhooks,
and serves the parts of the Shopify Admin API and WooCommerce REST API Ledgerlink reads (api.py)."""
from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.index, name="sandbox-shop-index"),
    path("orders/", views.order_create, name="sandbox-shop-order-create"),
    path("orders/<int:pk>/refund/", views.order_refund, name="sandbox-shop-order-refund"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="sandbox-shop-order-cancel"),
    path("orders/<int:pk>/fulfil/", views.order_fulfil, name="sandbox-shop-order-fulfil"),
    path("endpoints/", views.endpoint_save, name="sandbox-shop-endpoint-save"),
    path("endpoints/<int:pk>/ping/", views.endpoint_ping, name="sandbox-shop-endpoint-ping"),
    path("endpoints/<int:pk>/delete/", views.endpoint_delete, name="sandbox-shop-endpoint-delete"),
    path("outage/", views.webhooks_drop, name="sandbox-shop-webhooks-drop"),
    path("outbox/send/", views.outbox_send, name="sandbox-shop-outbox-send"),
    path("shopify/admin/api/<str:version>/orders.json", api.shopify_orders, name="sandbox-shopify-orders"),
    path("shopify/admin/api/<str:version>/webhooks.json", api.shopify_webhooks, name="sandbox-shopify-webhooks"),
    path("shopify/admin/api/<str:version>/webhooks/<int:pk>.json", api.shopify_webhook, name="sandbox-shopify-webhook"),
    path("woocommerce/wp-json/wc/v3/orders", api.woocommerce_orders, name="sandbox-woocommerce-orders"),
    path("woocommerce/wp-json/wc/v3/webhooks", api.woocommerce_webhooks, name="sandbox-woocommerce-webhooks"),
    path("woocommerce/wp-json/wc/v3/webhooks/<int:pk>", api.woocommerce_webhook, name="sandbox-woocommerce-webhook"),
]

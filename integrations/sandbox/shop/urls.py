"""/sandbox/shop/: a small shop that emits signed Shopify- and WooCommerce-shaped order webhooks."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="sandbox-shop-index"),
    path("orders/", views.order_create, name="sandbox-shop-order-create"),
    path("orders/<int:pk>/refund/", views.order_refund, name="sandbox-shop-order-refund"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="sandbox-shop-order-cancel"),
    path("orders/<int:pk>/fulfil/", views.order_fulfil, name="sandbox-shop-order-fulfil"),
    path("endpoints/", views.endpoint_save, name="sandbox-shop-endpoint-save"),
    path("endpoints/<int:pk>/ping/", views.endpoint_ping, name="sandbox-shop-endpoint-ping"),
    path("outbox/send/", views.outbox_send, name="sandbox-shop-outbox-send"),
]

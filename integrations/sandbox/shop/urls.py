"""/sandbox/shop/: a small shop that emits signed Shopify- and WooCommerce-shaped order webhooks."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="sandbox-shop-index"),
    path("orders/", views.order_create, name="sandbox-shop-order-create"),
    path("endpoints/", views.endpoint_save, name="sandbox-shop-endpoint-save"),
    path("endpoints/<int:pk>/ping/", views.endpoint_ping, name="sandbox-shop-endpoint-ping"),
    path("outbox/send/", views.outbox_send, name="sandbox-shop-outbox-send"),
]

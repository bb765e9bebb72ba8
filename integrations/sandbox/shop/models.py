"""State of the simulated shop: where it sends webhooks, the orders placed, and the outbox."""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class Endpoint(models.Model):
    """A webhook subscription: the shop signs every delivery to ``url`` with ``secret``.

    Made on the page (any order topic) or through the platform's API (``topic`` set: Shopify's
    webhooks.json, WooCommerce's /webhooks), where ``api_version`` is what the API recorded."""

    platform = models.CharField(max_length=12, choices=Platform.choices)
    url = models.URLField(max_length=300)
    secret = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    topic = models.CharField(max_length=60, blank=True, help_text="Blank: made on the page, gets order creations.")
    name = models.CharField(max_length=100, blank=True)
    api_version = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.get_platform_display()} → {self.url}"


class ShopOrder(models.Model):
    platform = models.CharField(max_length=12, choices=Platform.choices)
    external_id = models.CharField(max_length=20, unique=True, help_text="Shopify ids are 64-bit integers.")
    number = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    email = models.EmailField(blank=True, help_text="Blank: withheld (Shopify's protected customer data).")
    company = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="US")
    lines = models.JSONField(default=list, help_text='[{"sku", "name", "quantity", "price"}], amounts as strings')
    options = models.JSONField(default=dict, blank=True, help_text=(
        'Pricing and customer extras (see pricing.py): {"discount_code", "order_discount", "shipping_title", '
        '"shipping", "tax_rate" (percent), "taxes_included", "presentment_currency", "presentment_rate", '
        '"address1", "city", "zip"}; amounts as strings.'))
    refunds = models.JSONField(default=list, blank=True, help_text='[{"id", "created_at", "note", "lines": '
                               '[{"index", "quantity"}], "shipping": bool}] in the order they were made')
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]


class ApiAccess(models.Model):
    """The shop's API credentials (one row per platform, made on first use; shown on the page:
    sandbox only). Shopify: the Admin API access token, and the app's secret that signs the
    webhooks subscribed through the API. WooCommerce: a REST API consumer key and secret."""

    platform = models.CharField(max_length=12, choices=Platform.choices, unique=True)
    access_token = models.CharField(max_length=100, blank=True)
    app_secret = models.CharField(max_length=100, blank=True)
    consumer_key = models.CharField(max_length=100, blank=True)
    consumer_secret = models.CharField(max_length=100, blank=True)


class Outage(models.Model):
    """"Drop webhooks for N minutes": orders placed before ``until`` send no webhook."""

    until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-until"]


class Delivery(models.Model):
    """One webhook to send (the outbox): body and headers fixed when the order is placed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"
        DROPPED = "dropped", "Dropped (webhooks were down)"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    order = models.ForeignKey(ShopOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    topic = models.CharField(max_length=40)
    body = models.TextField()
    content_type = models.CharField(max_length=60, default="application/json")
    headers = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

"""Demo set-up (a DEMO_STEP): Shopify and WooCommerce connections fed by the built-in shop."""
from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings

from integrations.models import Connection, System

DEMO_CONNECTIONS = {System.SHOPIFY: "Shopify (sandbox)", System.WOOCOMMERCE: "WooCommerce (sandbox)"}


def shop_sandbox_connections_ensure(write: Callable[[str], None]) -> None:
    """One connection per platform, with a generated webhook secret the shop simulator signs with."""
    from integrations.sandbox.shop.services import endpoint_configure

    for system, name in DEMO_CONNECTIONS.items():
        connection, created = Connection.objects.get_or_create(
            name=name, defaults={"system": system, "is_sandbox": True, "environment": "sandbox",
                                 "auth_kind": Connection.AuthKind.SHARED_SECRET},
        )
        secret = connection.get_secret("webhook_secret")
        if not secret:
            secret = secrets.token_urlsafe(32)
            connection.set_secrets(webhook_secret=secret)
            connection.save(update_fields=["secrets_encrypted", "updated_at"])
        url = f"{settings.LEDGERLINK_PUBLIC_URL}/api/webhooks/{system}/{connection.pk}/"
        endpoint_configure(platform=system, url=url, secret=secret, replace_same_path=True)
        if created:
            write(f"{name}: the shop simulator at /sandbox/shop/ sends its orders to {url}")

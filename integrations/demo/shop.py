"""Demo set-up (a DEMO_STEP): Shopify and WooCommerce connections fed by the built-in shop.

Each connection gets the shop simulator's API root and API credentials (shown on its page,
sandbox only) and its webhooks registered through the shop's API (shop_webhooks_ensure). Set-up
runs before the server serves, so when the API cannot be reached yet the subscriptions are made
in the simulator directly, exactly as its API would make them; the admin's "Register the shop's
webhooks" action and the connection test then find them through the API.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings

from integrations.connectors.shop.api import SHOPIFY_TOKEN, WOO_KEY, WOO_SECRET
from integrations.connectors.shop.subscriptions import shop_webhooks_ensure, webhook_address, webhook_topics
from integrations.models import Connection, System

DEMO_CONNECTIONS = {System.SHOPIFY: "Shopify (sandbox)", System.WOOCOMMERCE: "WooCommerce (sandbox)"}


def shop_sandbox_credentials_store(connection: Connection) -> None:
    """The simulator's API root and credentials on the connection (the Shopify app secret signs its webhooks)."""
    from integrations.sandbox.shop.services import api_access

    access = api_access(connection.system)
    connection.base_url = f"{settings.LEDGERLINK_PUBLIC_URL}/sandbox/shop/{connection.system}"
    if connection.system == System.SHOPIFY:
        connection.set_secrets(**{SHOPIFY_TOKEN: access.access_token, "webhook_secret": access.app_secret})
    else:
        connection.set_secrets(**{WOO_KEY: access.consumer_key, WOO_SECRET: access.consumer_secret})
        if not connection.get_secret("webhook_secret"):
            connection.set_secrets(webhook_secret=secrets.token_urlsafe(32))
    connection.save()


def _subscriptions_made_directly(connection: Connection) -> None:
    from integrations.sandbox.shop.services import (
        SubscriptionRefused,
        page_endpoints_retire,
        subscription_create,
        subscriptions,
    )

    address = webhook_address(connection)
    page_endpoints_retire(platform=connection.system, url=address, moved_too=True)
    version = settings.SHOPIFY_API_VERSION if connection.system == System.SHOPIFY else "wp_api_v3"
    for topic in webhook_topics(connection):
        if not subscriptions(connection.system).filter(topic=topic, url=address).exists():
            try:
                subscription_create(platform=connection.system, topic=topic, url=address, api_version=version,
                                    secret=connection.get_secret("webhook_secret"), name=f"Ledgerlink {topic}")
            except SubscriptionRefused:
                continue


def shop_sandbox_connections_ensure(write: Callable[[str], None]) -> None:
    from integrations.sandbox.shop.services import page_endpoints_retire

    for system, name in DEMO_CONNECTIONS.items():
        connection, created = Connection.objects.get_or_create(
            name=name, defaults={"system": system, "is_sandbox": True, "environment": "sandbox",
                                 "auth_kind": Connection.AuthKind.SHARED_SECRET},
        )
        shop_sandbox_credentials_store(connection)
        address = webhook_address(connection)
        page_endpoints_retire(platform=system, url=address)  # the API's subscriptions replace them
        report = shop_webhooks_ensure(connection)
        if report.problems:  # the server is not serving yet during set-up
            _subscriptions_made_directly(connection)
        if created:
            write(f"{name}: the shop simulator at /sandbox/shop/ sends its orders to {address}; the catch-up "
                  "poll reads its API every 5 minutes.")

"""The shop's webhook subscriptions to us, registered and checked through its API.

A subscription a shop removed (Shopify drops one after 8 failed days, WooCommerce disables one
after repeated failures, or someone deleted it) would silently stop orders; ``shop_webhooks_ensure``
registers each topic the flows need at our public URL (settings.LEDGERLINK_PUBLIC_URL + the
public webhook path of the connection) and records what the shop answered (ids, API version) on
``connection.settings["webhooks"]``. ``shop_webhooks_check`` only reads, and lists what is wrong
(for a pre-flight check). Setup and the demo run ensure; the admin offers it as an action.

Shopify signs deliveries of API-made subscriptions with the app's secret: that secret must be the
connection's webhook secret (set in the admin). WooCommerce takes a secret per subscription: the
connection's webhook secret is sent with each one (made when the connection has none).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from integrations.connectors.shop.api import shop_client
from integrations.errors import SyncError

SHOP_SYSTEMS = ("shopify", "woocommerce")


@dataclass
class WebhooksReport:
    connection: str
    address: str = ""
    present: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    api_version: str = ""
    problems: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        if self.problems:
            return f"{self.connection}: " + " ".join(self.problems)
        made = f"registered {', '.join(self.created)}" if self.created else "nothing to register"
        kept = f"; already there: {', '.join(self.present)}" if self.present else ""
        version = f" (API version {self.api_version})" if self.api_version else ""
        return f"{self.connection}: webhooks to {self.address}: {made}{kept}{version}."


def webhook_address(connection) -> str:
    name = {"shopify": "webhook-shopify", "woocommerce": "webhook-woocommerce"}[connection.system]
    return f"{settings.LEDGERLINK_PUBLIC_URL}{reverse(name, args=[connection.pk])}"


def webhook_topics(connection) -> list[str]:
    return list(connection.settings.get("webhook_topics") or settings.SHOP_WEBHOOK_TOPICS[connection.system])


def _address_of(connection, hook: dict) -> str:
    return str(hook.get("address") if connection.system == "shopify" else hook.get("delivery_url") or "")


def _ours(connection, address: str, hooks: list[dict]) -> dict[str, dict]:
    """Our active subscriptions by topic (the shop's view: address and status as it reports them)."""
    found = {}
    for hook in hooks:
        if _address_of(connection, hook) == address and hook.get("status", "active") == "active":
            found.setdefault(str(hook.get("topic", "")), hook)
    return found


def _moved(connection, address: str, hooks: list[dict]) -> list[dict]:
    """Subscriptions to this connection's path on another host: Ledgerlink's public URL changed."""
    path = urlsplit(address).path
    return [hook for hook in hooks if urlsplit(_address_of(connection, hook)).path == path
            and _address_of(connection, hook) != address]


def shop_webhooks_check(connection) -> list[str]:
    """What is wrong with the shop's subscriptions to us (an empty list: nothing). Reads only."""
    address = webhook_address(connection)
    try:
        ours = _ours(connection, address, shop_client(connection).webhooks_list())
    except SyncError as exc:
        return [f"The shop's webhooks could not be read: {exc.message}"]
    problems = [f"No {topic} webhook to {address}." for topic in webhook_topics(connection) if topic not in ours]
    if connection.system == "shopify":
        wanted = connection.settings.get("api_version") or settings.SHOPIFY_API_VERSION
        problems += [f"The {topic} webhook uses API version {hook.get('api_version')}, not {wanted}."
                     for topic, hook in ours.items() if hook.get("api_version") and hook.get("api_version") != wanted]
    if not connection.get_secret("webhook_secret"):
        problems.append("The connection has no webhook secret, so every delivery would be refused.")
    return problems


def shop_webhooks_ensure(connection) -> WebhooksReport:
    """Register each needed topic that is missing; never raises for the shop's answer (report.problems)."""
    address = webhook_address(connection)
    report = WebhooksReport(connection=connection.name, address=address)
    client = shop_client(connection)
    try:
        hooks = client.webhooks_list()
        ours = _ours(connection, address, hooks)
        for hook in _moved(connection, address, hooks):  # deliveries there would fail for days
            client.webhook_delete(hook["id"])
        secret = connection.get_secret("webhook_secret")
        if connection.system == "shopify" and not secret:
            report.problems.append("Set the app's API secret key as the connection's webhook secret first: Shopify "
                                   "signs these webhooks with it.")
            return report
        if not secret:
            secret = secrets.token_urlsafe(32)
            connection.set_secrets(webhook_secret=secret)
            connection.save(update_fields=["secrets_encrypted", "updated_at"])
        for topic in webhook_topics(connection):
            if topic in ours:
                report.present.append(topic)
                continue
            if connection.system == "shopify":
                ours[topic] = client.webhook_create(topic=topic, address=address)
            else:
                ours[topic] = client.webhook_create(topic=topic, address=address, secret=secret,
                                                    name=f"Ledgerlink {topic}")
            report.created.append(topic)
    except SyncError as exc:
        report.problems.append(f"The shop's webhooks could not be registered: {exc.message}")
        return report
    versions = sorted({str(h.get("api_version")) for h in ours.values() if h.get("api_version")})
    report.api_version = ", ".join(versions)
    connection.settings = {**connection.settings, "webhooks": {
        "address": address, "api_version": report.api_version, "checked_at": timezone.now().isoformat(),
        "subscriptions": {topic: str(hook.get("id", "")) for topic, hook in ours.items()}}}
    connection.save(update_fields=["settings", "updated_at"])
    return report


def shop_connection_test(*, connection) -> str:
    """The admin's "Test connection": the API credentials work, and the webhooks are in place."""
    problems = shop_webhooks_check(connection)
    if problems:
        raise SyncError(" ".join(problems))
    return f"API credentials work; webhooks to {webhook_address(connection)} are registered."

"""Shopify and WooCommerce, as the generic code sees them (see connectors/connector.py).

Both live in one package because they share the order shape every eCommerce source is
parsed into (order.py), the signature scheme and the staleness rules (receiver.py); each is
still its own connector, with its own registry line, webhook URL and schema. Orders arrive
by webhook; the catch-up poll (changes.py) reads what webhooks missed through the shop's API
(api.py), with the connection's API credentials, and subscriptions.py keeps the webhooks registered.
"""
from __future__ import annotations

from integrations.connectors.connector import Connector
from integrations.connectors.shop.changes import ShopChangeReader
from integrations.connectors.shop.checks import shop_preflight_checks
from integrations.connectors.shop.receiver import ShopifyReceiver, WooCommerceReceiver
from integrations.connectors.shop.schemas import SHOPIFY_ORDER, WOOCOMMERCE_ORDER
from integrations.connectors.shop.subscriptions import shop_connection_test


class ShopifyConnector(Connector):
    system = "shopify"
    receiver = ShopifyReceiver
    webhook_url_name = "webhook-shopify"
    schemas = (SHOPIFY_ORDER,)
    change_readers = {"order": ShopChangeReader()}
    connection_test = staticmethod(shop_connection_test)
    preflight_checks = staticmethod(shop_preflight_checks)


class WooCommerceConnector(Connector):
    system = "woocommerce"
    receiver = WooCommerceReceiver
    webhook_url_name = "webhook-woocommerce"
    schemas = (WOOCOMMERCE_ORDER,)
    change_readers = {"order": ShopChangeReader()}
    connection_test = staticmethod(shop_connection_test)
    preflight_checks = staticmethod(shop_preflight_checks)

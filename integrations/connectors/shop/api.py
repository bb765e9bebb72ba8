"""The shops' APIs, for what webhooks cannot do: read orders a webhook missed (changes.py) and
manage the webhook subscriptions themselves (subscriptions.py).

Shopify Admin REST: ``X-Shopify-Access-Token`` (an Admin API access token, secret
``shop_access_token``), ``/admin/api/<version>/orders.json?status=any&updated_at_min=`` paged by the
``Link`` header's ``rel="next"`` URL (cursor paging: that URL carries ``page_info`` and nothing may
be added to it but ``limit``), ``webhooks.json`` and ``webhooks/<id>.json``.
WooCommerce REST v3: the consumer key and secret (secrets ``consumer_key``, ``consumer_secret``) as
HTTP Basic auth (WooCommerce accepts it over HTTPS), ``/wp-json/wc/v3/orders?modified_after=&page=
&per_page=`` until ``X-WP-TotalPages``, ``/wp-json/wc/v3/webhooks``.

The connection's base URL is the shop's root (``https://<shop>.myshopify.com``, the WordPress site).
Each order comes back as its own JSON text (numbers exact, decimals as text) with the parsed ShopOrder,
so a polled order is stored and read exactly like a delivered one.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.conf import settings

from integrations.connectors.base import HttpClient
from integrations.connectors.shop import shopify, woocommerce
from integrations.connectors.shop.order import OrderInvalid, ShopOrder
from integrations.errors import AuthError, FatalError

SHOPIFY_TOKEN = "shop_access_token"
WOO_KEY, WOO_SECRET = "consumer_key", "consumer_secret"


@dataclass(frozen=True)
class ApiOrder:
    body: str  # the platform's order JSON, as one order's webhook would carry it
    order: ShopOrder | None  # None: the shop returned an order we cannot read (error says why)
    error: str = ""
    raw_id: str = ""


def _order_of(data: dict, parser) -> ApiOrder:
    body = json.dumps(data, default=str)  # Decimals (parse_float) become exact decimal text
    try:
        return ApiOrder(body=body, order=parser(body.encode()))
    except OrderInvalid as exc:
        return ApiOrder(body=body, order=None, error=str(exc), raw_id=str(data.get("id", ""))[:40])


def _json(response):
    try:
        return json.loads(response.text, parse_float=Decimal)
    except ValueError:
        raise FatalError(f"The shop answered {response.status_code} with a body that is not JSON.") from None


class ShopifyAdminClient(HttpClient):
    system = "shopify"

    @property
    def api_version(self) -> str:
        return self.connection.settings.get("api_version") or settings.SHOPIFY_API_VERSION

    def auth_headers(self) -> dict:
        token = self.connection.get_secret(SHOPIFY_TOKEN)
        if not token:
            raise AuthError(f"The connection {self.connection.name} has no Shopify Admin API access token: "
                            "set it in the admin (Connections → API credentials).")
        return {"X-Shopify-Access-Token": token, "Accept": "application/json"}

    def admin(self, path: str) -> str:
        if not self.connection.base_url:
            raise FatalError(f"The connection {self.connection.name} has no base URL: set the shop's address "
                             "(https://<shop>.myshopify.com).")
        return f"admin/api/{self.api_version}/{path}"

    def error_from_response(self, response) -> str:
        if response.status_code == 401:
            return ("Shopify refused the Admin API access token (401): check the token set on the connection "
                    "and that the app is still installed.")
        if response.status_code == 403:
            return "Shopify answered 403: the app lacks an access scope it needs (read_orders, webhooks)."
        return super().error_from_response(response)

    def orders_updated_since(self, since: datetime) -> Iterator[ApiOrder]:
        params = {"status": "any", "limit": settings.SHOPIFY_PAGE_LIMIT,
                  "updated_at_min": since.astimezone(dt_timezone.utc).isoformat()}
        url = self.admin("orders.json")
        while url:
            response = self.request("GET", url, operation="orders.list", params=params,
                                    record_count=lambda r: len(r.json().get("orders", [])))
            for data in _json(response).get("orders") or []:
                yield _order_of(data, shopify.shopify_order_parse)
            # cursor paging: the next page's URL carries everything (adding a filter is a 400)
            url, params = response.links.get("next", {}).get("url"), None

    def webhooks_list(self) -> list[dict]:
        response = self.request("GET", self.admin("webhooks.json"), operation="webhooks.list")
        return list(_json(response).get("webhooks") or [])

    def webhook_create(self, *, topic: str, address: str) -> dict:
        response = self.request("POST", self.admin("webhooks.json"), operation="webhooks.create",
                                json={"webhook": {"topic": topic, "address": address, "format": "json"}})
        return _json(response).get("webhook") or {}

    def webhook_delete(self, webhook_id) -> None:
        self.request("DELETE", self.admin(f"webhooks/{int(webhook_id)}.json"), operation="webhooks.delete")


class WooCommerceClient(HttpClient):
    system = "woocommerce"

    def auth_headers(self) -> dict:
        return {"Accept": "application/json"}

    def request(self, method, path, **kwargs):
        key, secret = self.connection.get_secret(WOO_KEY), self.connection.get_secret(WOO_SECRET)
        if not (key and secret):
            raise AuthError(f"The connection {self.connection.name} has no WooCommerce REST API consumer key and "
                            "secret: set both in the admin (Connections → API credentials).")
        if not self.connection.base_url:
            raise FatalError(f"The connection {self.connection.name} has no base URL: set the shop's address.")
        return super().request(method, path, auth=(key, secret), **kwargs)

    def error_from_response(self, response) -> str:
        if response.status_code == 401:
            return ("WooCommerce refused the consumer key and secret (401): check both on the connection, and that "
                    "the key has read/write access.")
        return super().error_from_response(response)

    def orders_updated_since(self, since: datetime) -> Iterator[ApiOrder]:
        page, pages = 1, 1
        stamp = since.astimezone(dt_timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
        while page <= pages:
            response = self.request("GET", "wp-json/wc/v3/orders", operation="orders.list", params={
                "modified_after": stamp, "dates_are_gmt": "true", "per_page": settings.WOOCOMMERCE_PER_PAGE,
                "page": page, "orderby": "id", "order": "asc"}, record_count=lambda r: len(r.json()))
            for data in _json(response) or []:
                if isinstance(data, dict):
                    yield _order_of(data, woocommerce.woocommerce_order_parse)
            header = response.headers.get("X-WP-TotalPages", "1")
            pages, page = int(header) if header.isdigit() else 1, page + 1

    def webhooks_list(self) -> list[dict]:
        page, pages, found = 1, 1, []
        while page <= pages:
            response = self.request("GET", "wp-json/wc/v3/webhooks", operation="webhooks.list",
                                    params={"per_page": 100, "page": page})
            found += [w for w in _json(response) or [] if isinstance(w, dict)]
            header = response.headers.get("X-WP-TotalPages", "1")
            pages, page = int(header) if header.isdigit() else 1, page + 1
        return found

    def webhook_create(self, *, topic: str, address: str, secret: str, name: str) -> dict:
        response = self.request("POST", "wp-json/wc/v3/webhooks", operation="webhooks.create", json={
            "name": name, "topic": topic, "delivery_url": address, "secret": secret, "status": "active"})
        return _json(response) or {}

    def webhook_delete(self, webhook_id) -> None:
        self.request("DELETE", f"wp-json/wc/v3/webhooks/{int(webhook_id)}", operation="webhooks.delete",
                     params={"force": "true"})


CLIENTS = {"shopify": ShopifyAdminClient, "woocommerce": WooCommerceClient}


def shop_client(connection):
    return CLIENTS[connection.system](connection)

"""The shop's APIs, as strict as the real ones for what Ledgerlink uses.

Shopify Admin REST (``/sandbox/shop/shopify/admin/api/<version>/...``): an ``X-Shopify-Access-Token``
header or 401; ``orders.json`` with ``status`` (default open, as Shopify), ``updated_at_min``, ``limit``
(at most 250) and cursor paging: the next page is in the ``Link`` header (``rel="next"``, an opaque
``page_info``), and a request with ``page_info`` may carry nothing else but ``limit`` (else 400, as
Shopify); ``webhooks.json`` list/create and ``webhooks/<id>.json`` read/update/delete (a second
subscription of one address and topic is a 422). Every answer names the API version in
``X-Shopify-API-Version``.

WooCommerce REST v3 (``/sandbox/shop/woocommerce/wp-json/wc/v3/...``): consumer key and secret as HTTP
Basic auth or as ``consumer_key``/``consumer_secret`` query parameters, or 401; ``orders`` with
``modified_after``, ``page``, ``per_page`` (at most 100) and the ``X-WP-Total`` / ``X-WP-TotalPages``
headers; ``webhooks`` list/create and ``webhooks/<id>`` read/update/delete (delete needs ``force=true``:
webhooks cannot be trashed).
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import timezone as dt_timezone
from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from . import services
from .models import Endpoint, Platform, ShopOrder
from .payloads import BODIES

SHOPIFY_VERSIONS = ("2025-01", "2025-04", "2025-07", "2025-10")
SHOPIFY_MAX_LIMIT = 250
WOO_MAX_PER_PAGE = 100


def _order_bodies(orders) -> str:
    # the platform's own order JSON, numbers exact (payloads.py builds each body as text)
    return ", ".join(BODIES[order.platform](order) for order in orders)


# --- Shopify ---------------------------------------------------------------------------------------------

def _shopify_error(status: int, errors, version: str) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    response["X-Shopify-API-Version"] = version
    return response


def _shopify_version(requested: str) -> str:
    # Shopify answers an unsupported version with the oldest supported stable one, and says so.
    return requested if requested in SHOPIFY_VERSIONS else SHOPIFY_VERSIONS[0]


def _shopify_authorised(request) -> bool:
    token = services.api_access(Platform.SHOPIFY).access_token
    return bool(token) and request.headers.get("X-Shopify-Access-Token", "") == token


def _shopify_guard(request, version):
    if not _shopify_authorised(request):
        return _shopify_error(401, "[API] Invalid API key or access token (unrecognized login or wrong password)",
                              version)
    return None


def _page_info_encode(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _page_info_decode(text: str) -> dict | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _limit(raw: str, maximum: int, default: int) -> int | None:
    if raw in (None, ""):
        return default
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= maximum else None


@csrf_exempt
def shopify_orders(request, version: str):
    version = _shopify_version(version)
    if (refused := _shopify_guard(request, version)) is not None:
        return refused
    if request.method != "GET":
        return _shopify_error(405, "Method not allowed", version)
    params = request.GET
    limit = _limit(params.get("limit", ""), SHOPIFY_MAX_LIMIT, 50)
    if limit is None:
        return _shopify_error(400, {"limit": [f"must be between 1 and {SHOPIFY_MAX_LIMIT}"]}, version)
    if "page_info" in params:
        others = sorted(set(params) - {"page_info", "limit", "fields"})
        if others:  # Shopify's own words for it
            return _shopify_error(400, {name: f"{name} cannot be passed when page_info is present." for name in others},
                                  version)
        state = _page_info_decode(params["page_info"])
        if state is None:
            return _shopify_error(400, {"page_info": ["Invalid value."]}, version)
    else:
        state = {"status": params.get("status", "open"), "updated_at_min": params.get("updated_at_min", ""),
                 "after": None}
        if state["status"] not in ("open", "closed", "cancelled", "any"):
            return _shopify_error(400, {"status": ["is not a valid status"]}, version)
        if state["updated_at_min"] and parse_datetime(state["updated_at_min"]) is None:
            return _shopify_error(400, {"updated_at_min": ["must be an ISO 8601 date and time"]}, version)
    orders = ShopOrder.objects.filter(platform=Platform.SHOPIFY).order_by("id")
    if state["updated_at_min"]:
        orders = orders.filter(updated_at__gte=parse_datetime(state["updated_at_min"]))
    # the simulator's orders are never closed or cancelled: "open" and "any" list them all
    if state["status"] in ("closed", "cancelled"):
        orders = orders.none()
    if state.get("after"):
        orders = orders.filter(id__gt=state["after"])
    page = list(orders[:limit + 1])
    more, page = len(page) > limit, page[:limit]
    response = HttpResponse(f'{{"orders": [{_order_bodies(page)}]}}', content_type="application/json")
    response["X-Shopify-API-Version"] = version
    if more:
        token = _page_info_encode({**state, "after": page[-1].pk})
        url = request.build_absolute_uri(request.path) + "?" + urlencode({"limit": limit, "page_info": token})
        response["Link"] = f'<{url}>; rel="next"'
    return response


def _shopify_webhook(endpoint: Endpoint) -> dict:
    return {"id": endpoint.pk, "address": endpoint.url, "topic": endpoint.topic, "format": "json",
            "api_version": endpoint.api_version, "fields": [], "metafield_namespaces": [],
            "created_at": endpoint.created_at.isoformat(), "updated_at": endpoint.updated_at.isoformat()}


def _json_body(request) -> dict | None:
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


@csrf_exempt
def shopify_webhooks(request, version: str):
    version = _shopify_version(version)
    if (refused := _shopify_guard(request, version)) is not None:
        return refused
    if request.method == "GET":
        endpoints = services.subscriptions(Platform.SHOPIFY)
        if request.GET.get("topic"):
            endpoints = endpoints.filter(topic=request.GET["topic"])
        if request.GET.get("address"):
            endpoints = endpoints.filter(url=request.GET["address"])
        response = JsonResponse({"webhooks": [_shopify_webhook(e) for e in endpoints]})
    elif request.method == "POST":
        data = (_json_body(request) or {}).get("webhook")
        if not isinstance(data, dict):
            return _shopify_error(400, {"webhook": "Required parameter missing or invalid"}, version)
        try:
            endpoint = services.subscription_create(
                platform=Platform.SHOPIFY, topic=str(data.get("topic") or ""), url=str(data.get("address") or ""),
                secret=services.api_access(Platform.SHOPIFY).app_secret, api_version=version)
        except services.SubscriptionRefused as exc:
            return _shopify_error(422, exc.errors, version)
        response = JsonResponse({"webhook": _shopify_webhook(endpoint)}, status=201)
    else:
        return _shopify_error(405, "Method not allowed", version)
    response["X-Shopify-API-Version"] = version
    return response


@csrf_exempt
def shopify_webhook(request, version: str, pk: int):
    version = _shopify_version(version)
    if (refused := _shopify_guard(request, version)) is not None:
        return refused
    endpoint = services.subscriptions(Platform.SHOPIFY).filter(pk=pk).first()
    if endpoint is None:
        return _shopify_error(404, "Not Found", version)
    if request.method == "DELETE":
        services.subscription_delete(endpoint)
        response = JsonResponse({})
    elif request.method == "PUT":
        data = (_json_body(request) or {}).get("webhook")
        if not isinstance(data, dict):
            return _shopify_error(400, {"webhook": "Required parameter missing or invalid"}, version)
        try:
            endpoint = services.subscription_update(endpoint, url=data.get("address"), api_version=version)
        except services.SubscriptionRefused as exc:
            return _shopify_error(422, exc.errors, version)
        response = JsonResponse({"webhook": _shopify_webhook(endpoint)})
    elif request.method == "GET":
        response = JsonResponse({"webhook": _shopify_webhook(endpoint)})
    else:
        return _shopify_error(405, "Method not allowed", version)
    response["X-Shopify-API-Version"] = version
    return response


# --- WooCommerce -----------------------------------------------------------------------------------------

def _woo_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "data": {"status": status}}, status=status)


def _woo_credentials(request) -> tuple[str, str]:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            key, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return key, secret
    return request.GET.get("consumer_key", ""), request.GET.get("consumer_secret", "")


def _woo_guard(request, what: str):
    key, secret = _woo_credentials(request)
    access = services.api_access(Platform.WOOCOMMERCE)
    if not key:
        return _woo_error(401, "woocommerce_rest_cannot_view", f"Sorry, you cannot {what}.")
    if key != access.consumer_key:
        return _woo_error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
    if secret != access.consumer_secret:
        return _woo_error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
    return None


def _woo_date(raw: str, gmt: bool):
    parsed = parse_datetime(raw)
    if parsed is not None and timezone.is_naive(parsed):
        # the site's time zone is UTC in the simulator; dates_are_gmt says the same explicitly
        parsed = parsed.replace(tzinfo=dt_timezone.utc)
    return parsed


@csrf_exempt
def woocommerce_orders(request):
    if (refused := _woo_guard(request, "list resources")) is not None:
        return refused
    if request.method != "GET":
        return _woo_error(405, "rest_no_route", "No route was found matching the URL and request method.")
    params = request.GET
    per_page = _limit(params.get("per_page", ""), WOO_MAX_PER_PAGE, 10)
    if per_page is None:
        return _woo_error(400, "rest_invalid_param", f"Invalid parameter(s): per_page (between 1 and {WOO_MAX_PER_PAGE})")
    page = _limit(params.get("page", ""), 10**6, 1)
    if page is None:
        return _woo_error(400, "rest_invalid_param", "Invalid parameter(s): page")
    orders = ShopOrder.objects.filter(platform=Platform.WOOCOMMERCE).order_by("id")
    if params.get("modified_after"):
        since = _woo_date(params["modified_after"], params.get("dates_are_gmt") == "true")
        if since is None:
            return _woo_error(400, "rest_invalid_param", "Invalid parameter(s): modified_after")
        orders = orders.filter(updated_at__gt=since)
    total = orders.count()
    pages = (total + per_page - 1) // per_page
    chosen = list(orders[(page - 1) * per_page: page * per_page])
    response = HttpResponse(f"[{_order_bodies(chosen)}]", content_type="application/json")
    response["X-WP-Total"], response["X-WP-TotalPages"] = str(total), str(pages)
    return response


def _woo_webhook(endpoint: Endpoint) -> dict:
    resource, _, event = endpoint.topic.partition(".")
    return {"id": endpoint.pk, "name": endpoint.name, "status": "active" if endpoint.active else "disabled",
            "topic": endpoint.topic, "resource": resource, "event": event, "hooks": [],
            "delivery_url": endpoint.url, "api_version": endpoint.api_version or "wp_api_v3",
            "date_created_gmt": endpoint.created_at.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_modified_gmt": endpoint.updated_at.strftime("%Y-%m-%dT%H:%M:%S")}


@csrf_exempt
def woocommerce_webhooks(request):
    if (refused := _woo_guard(request, "list resources" if request.method == "GET" else "create resources")):
        return refused
    if request.method == "GET":
        return JsonResponse([_woo_webhook(e) for e in services.subscriptions(Platform.WOOCOMMERCE)], safe=False)
    if request.method != "POST":
        return _woo_error(405, "rest_no_route", "No route was found matching the URL and request method.")
    data = _json_body(request)
    if data is None:
        return _woo_error(400, "rest_invalid_json", "Invalid JSON body passed.")
    if not data.get("topic") or not data.get("delivery_url"):
        return _woo_error(400, "rest_missing_callback_param", "Missing parameter(s): topic, delivery_url")
    try:
        endpoint = services.subscription_create(
            platform=Platform.WOOCOMMERCE, topic=str(data["topic"]), url=str(data["delivery_url"]),
            secret=str(data.get("secret") or ""), name=str(data.get("name") or ""), api_version="wp_api_v3")
    except services.SubscriptionRefused as exc:
        return _woo_error(400, "woocommerce_rest_invalid_webhook", json.dumps(exc.errors))
    return JsonResponse(_woo_webhook(endpoint), status=201)


@csrf_exempt
def woocommerce_webhook(request, pk: int):
    if (refused := _woo_guard(request, "view this resource")) is not None:
        return refused
    endpoint = services.subscriptions(Platform.WOOCOMMERCE).filter(pk=pk).first()
    if endpoint is None:
        return _woo_error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
    if request.method == "GET":
        return JsonResponse(_woo_webhook(endpoint))
    if request.method == "DELETE":
        if request.GET.get("force") not in ("true", "1"):
            return _woo_error(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
        body = _woo_webhook(endpoint)
        services.subscription_delete(endpoint)
        return JsonResponse(body)
    if request.method in ("PUT", "POST"):
        data = _json_body(request) or {}
        try:
            endpoint = services.subscription_update(endpoint, url=data.get("delivery_url"),
                                                    secret=data.get("secret"), active=data.get("status"))
        except services.SubscriptionRefused as exc:
            return _woo_error(400, "woocommerce_rest_invalid_webhook", json.dumps(exc.errors))
        return JsonResponse(_woo_webhook(endpoint))
    return _woo_error(405, "rest_no_route", "No route was found matching the URL and request method.")

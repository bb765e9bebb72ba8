"""The shop page: place an order, see deliveries, point the webhooks somewhere, send a Woo ping."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .models import Delivery, Endpoint, Platform, ShopOrder

OPTION_FIELDS = ("discount_code", "order_discount", "shipping_title", "shipping", "tax_rate", "presentment_currency",
                 "presentment_rate", "address1", "city", "zip")


def index(request):
    return render(request, "sandbox_shop/index.html", {
        "orders": ShopOrder.objects.prefetch_related("deliveries")[:50],
        "deliveries": Delivery.objects.select_related("endpoint", "order")[:50],
        "endpoints": Endpoint.objects.all(), "platforms": Platform.choices,
        # sandbox only: the credentials a demo connection is configured with
        "shopify_access": services.api_access(Platform.SHOPIFY),
        "woocommerce_access": services.api_access(Platform.WOOCOMMERCE),
        "dropped_until": services.webhooks_dropped_until(),
        "api_roots": {p: request.build_absolute_uri(f"/sandbox/shop/{p}") for p in Platform.values},
    })


@require_POST
def order_create(request):
    data = request.POST
    try:
        order = services.order_place(
            platform=data.get("platform", ""), first_name=data.get("first_name", "").strip(),
            last_name=data.get("last_name", "").strip(),
            email="" if data.get("withhold_email") == "on" else data.get("email", "").strip(),
            company=data.get("company", "").strip(), country=(data.get("country") or "US").strip().upper()[:2],
            currency=data.get("currency", "").strip(), lines=services.lines_parse(data.get("lines", "")),
            options={key: data.get(key, "").strip() for key in OPTION_FIELDS}
            | {"taxes_included": data.get("taxes_included") == "on"},
        )
    except services.OrderRejected as exc:
        messages.error(request, str(exc))
    else:
        sent_to = order.deliveries.count()
        messages.success(request, f"Order {order.number} placed; {sent_to} webhook(s) queued."
                         + ("" if sent_to else " No endpoint is configured for this platform."))
    return redirect("sandbox-shop-index")


@require_POST
def order_refund(request, pk: int):
    order = get_object_or_404(ShopOrder, pk=pk)
    try:
        lines = services.refund_lines_parse(order, request.POST.get("lines", "")) \
            if request.POST.get("kind") != "shipping" else []
        services.order_refund(order=order, lines=lines, note=request.POST.get("note", "").strip()[:200],
                              shipping=request.POST.get("kind") in ("full", "shipping")
                              or request.POST.get("shipping") == "on")
    except services.OrderRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Order {order.number} refunded; webhooks queued.")
    return redirect("sandbox-shop-index")


@require_POST
def order_cancel(request, pk: int):
    order = get_object_or_404(ShopOrder, pk=pk)
    try:
        services.order_cancel(order=order, reason=request.POST.get("reason", "customer")[:20])
    except services.OrderRejected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Order {order.number} cancelled; webhooks queued.")
    return redirect("sandbox-shop-index")


@require_POST
def order_fulfil(request, pk: int):
    order = get_object_or_404(ShopOrder, pk=pk)
    services.order_fulfil(order=order)
    messages.success(request, f"Order {order.number} fulfilled; webhook queued.")
    return redirect("sandbox-shop-index")


@require_POST
def endpoint_save(request):
    platform, url, secret = (request.POST.get(k, "").strip() for k in ("platform", "url", "secret"))
    if platform not in Platform.values or not url.startswith(("http://", "https://")) or not secret:
        messages.error(request, "Choose a platform and give an http(s) URL and a secret.")
    else:
        services.endpoint_configure(platform=platform, url=url, secret=secret)
        messages.success(request, f"{platform} webhooks go to {url}.")
    return redirect("sandbox-shop-index")


@require_POST
def endpoint_ping(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk, platform=Platform.WOOCOMMERCE)
    services.woocommerce_ping_queue(endpoint=endpoint)
    messages.success(request, f"Ping queued for {endpoint.url}.")
    return redirect("sandbox-shop-index")


@require_POST
def outbox_send(request):
    services.outbox_dispatch()
    messages.success(request, "Pending deliveries handed to the workers.")
    return redirect("sandbox-shop-index")


@require_POST
def endpoint_delete(request, pk: int):
    """What deleting a webhook in the shop's admin does: the subscription is gone from its API."""
    endpoint = get_object_or_404(Endpoint, pk=pk)
    services.subscription_delete(endpoint)
    messages.success(request, f"Webhook subscription to {endpoint.url} deleted.")
    return redirect("sandbox-shop-index")


@require_POST
def webhooks_drop(request):
    raw = request.POST.get("minutes", "").strip()
    try:
        until = services.webhooks_drop(minutes=int(raw)).until if raw.isdigit() else None
    except services.OrderRejected as exc:
        messages.error(request, str(exc))
        return redirect("sandbox-shop-index")
    if until is None:
        messages.error(request, "Give the minutes as a whole number.")
    else:
        messages.success(request, f"Webhooks are dropped until {until:%H:%M:%S} UTC." if int(raw)
                         else "Webhooks are sent again.")
    return redirect("sandbox-shop-index")

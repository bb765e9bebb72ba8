"""The shop's actions: configure where webhooks go, place orders, and deliver the outbox.

Placing an order writes the order and one signed delivery per active endpoint of its
platform in one transaction; a django-q2 task drains the outbox once that commits.
``outbox_drain`` is also what tests call directly. A failed delivery is retried with
backoff, like the real platforms do, up to MAX_ATTEMPTS.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import ApiAccess, Delivery, Endpoint, Outage, Platform, ShopOrder
from .payloads import BODIES, SHOPIFY_ID_BASE, order_total, refunded_total, shopify_refund_body
from .pricing import order_priced

MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10
TOPICS = {Platform.SHOPIFY: "orders/create", Platform.WOOCOMMERCE: "order.created"}
# What each platform's API accepts as a subscription topic (the privacy topics are not among them:
# Shopify takes those from the app's configuration, never from webhooks.json).
SUBSCRIBABLE = {
    Platform.SHOPIFY: {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled",
                       "orders/partially_fulfilled", "orders/edited", "orders/delete", "refunds/create",
                       "customers/create", "customers/update", "app/uninstalled"},
    Platform.WOOCOMMERCE: {f"{resource}.{event}" for resource in ("order", "customer", "product", "coupon")
                           for event in ("created", "updated", "deleted", "restored")},
}
MAX_OUTAGE_MINUTES = 24 * 60
UPDATED = {Platform.SHOPIFY: "orders/updated", Platform.WOOCOMMERCE: "order.updated"}
OPTION_AMOUNTS = ("order_discount", "shipping", "tax_rate", "presentment_rate")


class OrderRejected(ValueError):
    pass


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def endpoint_configure(*, platform: str, url: str, secret: str, replace_same_path: bool = False) -> Endpoint:
    """One active endpoint per platform and URL; the secret is updated in place.

    ``replace_same_path``: endpoints with the same path on another host (the receiver moved,
    e.g. a new public URL) are switched off, so orders are not sent to the old address too.
    """
    endpoint, _ = Endpoint.objects.update_or_create(platform=platform, url=url, topic="",
                                                    defaults={"secret": secret, "active": True})
    if replace_same_path:
        path = urlsplit(url).path
        stale = [e.pk for e in Endpoint.objects.filter(platform=platform, active=True).exclude(pk=endpoint.pk)
                 if urlsplit(e.url).path == path]
        Endpoint.objects.filter(pk__in=stale).update(active=False)
    return endpoint


class SubscriptionRefused(ValueError):
    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


def api_access(platform: str) -> ApiAccess:
    """The platform's API credentials, generated the first time they are asked for."""
    access, created = ApiAccess.objects.get_or_create(platform=platform)
    if created or not (access.access_token or access.consumer_key):
        if platform == Platform.SHOPIFY:
            access.access_token, access.app_secret = f"shpat_{secrets.token_hex(16)}", secrets.token_hex(16)
        else:
            access.consumer_key = f"ck_{secrets.token_hex(20)}"
            access.consumer_secret = f"cs_{secrets.token_hex(20)}"
        access.save()
    return access


def subscriptions(platform: str):
    """The subscriptions the platform's API lists: those made through it (page endpoints have no topic)."""
    return Endpoint.objects.filter(platform=platform, active=True).exclude(topic="").order_by("id")


def _checked_url(url) -> str:
    url = str(url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 300:
        raise SubscriptionRefused({"address": ["is invalid"]})
    return url


def subscription_create(*, platform: str, topic: str, url: str, secret: str, api_version: str,
                        name: str = "") -> Endpoint:
    if topic not in SUBSCRIBABLE[platform]:
        raise SubscriptionRefused({"topic": ["Invalid topic specified."]})
    url = _checked_url(url)
    if subscriptions(platform).filter(topic=topic, url=url).exists():
        raise SubscriptionRefused({"address": ["for this topic has already been taken"]})
    return Endpoint.objects.create(platform=platform, topic=topic, url=url, name=name[:100], api_version=api_version,
                                   secret=secret or secrets.token_urlsafe(24))


def subscription_update(endpoint: Endpoint, *, url=None, secret=None, active=None, api_version=None) -> Endpoint:
    if url is not None:
        endpoint.url = _checked_url(url)
    if secret:
        endpoint.secret = str(secret)
    if active is not None:
        endpoint.active = active == "active"
    if api_version:
        endpoint.api_version = api_version
    endpoint.updated_at = timezone.now()
    endpoint.save()
    return endpoint


def page_endpoints_retire(*, platform: str, url: str, moved_too: bool = False) -> None:
    """Switch off page-made endpoints (no topic) to this path on any host: API subscriptions replace
    them; ``moved_too``: also subscriptions to the same path on another host (the receiver moved)."""
    path = urlsplit(url).path
    stale = [e.pk for e in Endpoint.objects.filter(platform=platform, active=True)
             if urlsplit(e.url).path == path and (not e.topic or (moved_too and e.url != url))]
    Endpoint.objects.filter(pk__in=stale).update(active=False)


def subscription_delete(endpoint: Endpoint) -> None:
    """Gone from the API; kept inactive so the page still shows where past deliveries went."""
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False, topic="", updated_at=timezone.now())


def webhooks_drop(*, minutes: int) -> Outage:
    """Drop every webhook for the next ``minutes``: orders placed meanwhile send none (0 ends it)."""
    if not 0 <= minutes <= MAX_OUTAGE_MINUTES:
        raise OrderRejected(f"Minutes must be between 0 and {MAX_OUTAGE_MINUTES}.")
    Outage.objects.filter(until__gt=timezone.now()).update(until=timezone.now())
    return Outage.objects.create(until=timezone.now() + timedelta(minutes=minutes))


def webhooks_dropped_until():
    outage = Outage.objects.filter(until__gt=timezone.now()).first()
    return outage.until if outage else None


def lines_parse(text: str) -> list[dict]:
    """'SKU, quantity, price[, name[, line discount]]' per line → order lines with exact amounts."""
    lines = []
    for number, raw in enumerate((text or "").strip().splitlines(), start=1):
        parts = [p.strip() for p in raw.split(",")]
        if len(parts) < 3 or not parts[0]:
            raise OrderRejected(f"Line {number}: write 'SKU, quantity, price'.")
        try:
            quantity, price = Decimal(parts[1]), Decimal(parts[2])
        except InvalidOperation:
            raise OrderRejected(f"Line {number}: quantity and price must be numbers.") from None
        if quantity <= 0 or quantity != quantity.to_integral_value() or price < 0:
            raise OrderRejected(f"Line {number}: quantity must be a whole number above 0 and price not negative.")
        line = {"sku": parts[0], "quantity": str(int(quantity)), "price": format(price, "f"),
                "name": parts[3] if len(parts) > 3 and parts[3] else parts[0]}
        if len(parts) > 4 and parts[4]:
            try:
                discount = Decimal(parts[4])
            except InvalidOperation:
                raise OrderRejected(f"Line {number}: the line discount must be an amount.") from None
            if discount < 0 or discount > quantity * price:
                raise OrderRejected(f"Line {number}: the line discount must be between 0 and the line's amount.")
            line["discount"] = format(discount, "f")
        lines.append(line)
    if not lines:
        raise OrderRejected("An order needs at least one line.")
    return lines


def _headers(platform: str, topic: str, secret: str, body: bytes, *, event_id: str = "", api_version: str = "") -> dict:
    if platform == Platform.SHOPIFY:
        # one event (the same X-Shopify-Event-Id) to every subscription, each delivery its own webhook id,
        # rendered in the API version the subscription was made with
        return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign(secret, body),
                "X-Shopify-Shop-Domain": "ledgerlink-demo.myshopify.com",
                "X-Shopify-API-Version": api_version or "2025-07",
                "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
                "X-Shopify-Triggered-At": timezone.now().isoformat()}
    resource, _, event = topic.partition(".")
    return {"X-WC-Webhook-Source": "https://ledgerlink-demo-shop.example/", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(secret, body), "X-WC-Webhook-ID": "1",
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex}


def options_clean(platform: str, options: dict | None) -> dict:
    """The pricing options, checked: amounts not negative, a 3-letter presentment currency with a rate."""
    cleaned = {k: v for k, v in (options or {}).items() if v not in (None, "", False)}
    for key in OPTION_AMOUNTS:
        if key in cleaned:
            try:
                value = Decimal(str(cleaned[key]))
            except InvalidOperation:
                raise OrderRejected(f"{key.replace('_', ' ').capitalize()} must be an amount.") from None
            if not value.is_finite() or value < 0:
                raise OrderRejected(f"{key.replace('_', ' ').capitalize()} cannot be negative.")
            cleaned[key] = format(value, "f")
    if cleaned.get("presentment_currency"):
        cleaned["presentment_currency"] = str(cleaned["presentment_currency"]).strip().upper()
        if platform != Platform.SHOPIFY:
            raise OrderRejected("Only Shopify orders have a presentment currency (WooCommerce has one per order).")
        if len(cleaned["presentment_currency"]) != 3 or not Decimal(cleaned.get("presentment_rate") or "0"):
            raise OrderRejected("A presentment currency needs a 3-letter code and a rate above 0.")
    cleaned["taxes_included"] = bool(cleaned.get("taxes_included"))
    return cleaned


def order_place(*, platform: str, first_name: str, last_name: str, email: str, currency: str, lines: list[dict],
                company: str = "", country: str = "US", options: dict | None = None) -> ShopOrder:
    """Place an order. ``email`` "" withholds it (Shopify without protected customer data access)."""
    if platform not in Platform.values:
        raise OrderRejected(f"Unknown platform {platform}.")
    if len(currency or "") != 3:
        raise OrderRejected("Currency must be a 3-letter code such as USD.")
    options = options_clean(platform, options)
    priced = order_priced(lines, options)
    if Decimal(options.get("order_discount") or "0") > priced.subtotal + priced.order_discounts:
        raise OrderRejected("The order discount is more than the lines are worth.")
    with transaction.atomic():
        number = (ShopOrder.objects.aggregate(n=Max("id"))["n"] or 0) + 1001
        order = ShopOrder.objects.create(
            platform=platform, external_id="pending", number=str(number), currency=currency.upper(),
            created_at=(now := timezone.now()), updated_at=now,
            first_name=first_name, last_name=last_name, email=email, company=company, country=country, lines=lines,
            options=options)
        order.external_id = str(SHOPIFY_ID_BASE + order.pk if platform == Platform.SHOPIFY else 700 + order.pk)
        order.save(update_fields=["external_id"])
        _deliveries_queue(order, [(TOPICS[platform], BODIES[platform](order))])
    return order


def _deliveries_queue(order: ShopOrder, messages: list[tuple[str, str]]) -> None:
    """One delivery per message and subscription of its topic; each message is one event (one
    X-Shopify-Event-Id across the subscriptions it goes to). While webhooks are dropped (the page's
    outage switch) the deliveries are recorded as dropped and never sent."""
    dropped = webhooks_dropped_until() is not None
    for topic, body in messages:
        event_id = str(uuid.uuid4())
        for endpoint in Endpoint.objects.filter(platform=order.platform, active=True, topic__in=("", topic)):
            Delivery.objects.create(endpoint=endpoint, order=order, topic=topic, body=body,
                                    headers=_headers(order.platform, topic, endpoint.secret, body.encode(),
                                                     event_id=event_id, api_version=endpoint.api_version),
                                    **({"status": Delivery.Status.DROPPED, "last_error": "Webhooks were dropped."}
                                       if dropped else {}))
    if not dropped:
        outbox_dispatch()


def refund_lines_parse(order: ShopOrder, text: str) -> list[dict]:
    """'SKU, quantity' per line (blank: what is left of every line) → [{"index", "quantity"}]."""
    by_sku = {line["sku"].upper(): (index, Decimal(line["quantity"])) for index, line in enumerate(order.lines)}
    refunded: dict[int, Decimal] = {}
    for refund in order.refunds or []:
        for entry in refund["lines"]:
            refunded[int(entry["index"])] = refunded.get(int(entry["index"]), Decimal(0)) + Decimal(entry["quantity"])
    if not (text or "").strip():  # what is left of every line
        return [{"index": index, "quantity": str(int(qty - refunded.get(index, 0)))}
                for index, qty in by_sku.values() if qty > refunded.get(index, 0)]
    lines = []
    for number, raw in enumerate(text.strip().splitlines(), start=1):
        parts = [p.strip() for p in raw.split(",")]
        if len(parts) != 2 or parts[0].upper() not in by_sku:
            raise OrderRejected(f"Refund line {number}: write 'SKU, quantity' with a SKU of this order.")
        index, ordered = by_sku[parts[0].upper()]
        try:
            quantity = Decimal(parts[1])
        except InvalidOperation:
            raise OrderRejected(f"Refund line {number}: the quantity must be a whole number.") from None
        if quantity <= 0 or quantity != quantity.to_integral_value() or quantity + refunded.get(index, 0) > ordered:
            raise OrderRejected(f"Refund line {number}: at most {ordered - refunded.get(index, 0)} of "
                                f"{parts[0]} can still be refunded.")
        lines.append({"index": index, "quantity": str(int(quantity))})
    return lines


def order_refund(*, order: ShopOrder, lines: list[dict], shipping: bool = False, note: str = "") -> ShopOrder:
    """Refund lines (and shipping) of an order. Shopify sends ``refunds/create`` (the refund) and
    ``orders/updated`` (the order with its ``refunds``); WooCommerce ``order.updated``."""
    if order.cancelled_at:
        raise OrderRejected(f"Order {order.number} is cancelled; there is nothing left to refund.")
    if shipping and any(r.get("shipping") for r in order.refunds or []):
        if not lines:
            raise OrderRejected(f"Order {order.number}'s shipping was already refunded.")
        shipping = False
    if shipping and not (order.options or {}).get("shipping"):
        shipping = False
    if not lines and not shipping:
        raise OrderRejected("A refund needs a line or the shipping.")
    with transaction.atomic():
        order = ShopOrder.objects.select_for_update().get(pk=order.pk)
        now = timezone.now()
        order.refunds = [*(order.refunds or []), {"id": len(order.refunds or []) + 1, "created_at": now.isoformat(),
                                                  "note": note, "lines": lines, "shipping": shipping}]
        if refunded_total(order) > order_total(order):
            raise OrderRejected("The refunds would be more than the order's total.")
        order.updated_at = now
        order.save(update_fields=["refunds", "updated_at"])
        messages = [(UPDATED[order.platform], BODIES[order.platform](order))]
        if order.platform == Platform.SHOPIFY:
            messages.insert(0, ("refunds/create", shopify_refund_body(order, len(order.refunds))))
        _deliveries_queue(order, messages)
    return order


def order_cancel(*, order: ShopOrder, reason: str = "customer") -> ShopOrder:
    """Cancel an order: Shopify sends ``orders/cancelled`` then ``orders/updated``; WooCommerce ``order.updated``
    with status cancelled. A fulfilled order can be cancelled too (the shop allows it; finance sorts it out)."""
    if order.cancelled_at:
        raise OrderRejected(f"Order {order.number} is already cancelled.")
    with transaction.atomic():
        order = ShopOrder.objects.select_for_update().get(pk=order.pk)
        order.cancelled_at = order.updated_at = timezone.now()
        order.cancel_reason = reason or "other"
        order.save(update_fields=["cancelled_at", "cancel_reason", "updated_at"])
        body = BODIES[order.platform](order)
        messages = [(UPDATED[order.platform], body)]
        if order.platform == Platform.SHOPIFY:
            messages.insert(0, ("orders/cancelled", body))
        _deliveries_queue(order, messages)
    return order


def order_fulfil(*, order: ShopOrder) -> ShopOrder:
    """Mark an order shipped (Shopify ``orders/fulfilled``; WooCommerce ``order.updated``, status completed)."""
    with transaction.atomic():
        order = ShopOrder.objects.select_for_update().get(pk=order.pk)
        order.fulfilled_at = order.updated_at = timezone.now()
        order.save(update_fields=["fulfilled_at", "updated_at"])
        topic = "orders/fulfilled" if order.platform == Platform.SHOPIFY else UPDATED[order.platform]
        _deliveries_queue(order, [(topic, BODIES[order.platform](order))])
    return order


def woocommerce_ping_queue(*, endpoint: Endpoint) -> Delivery:
    """What WooCommerce sends when a webhook is saved: unsigned, form-encoded webhook_id."""
    with transaction.atomic():
        delivery = Delivery.objects.create(endpoint=endpoint, topic="ping", body="webhook_id=1",
                                           content_type="application/x-www-form-urlencoded", headers={})
        outbox_dispatch()
    return delivery


def outbox_dispatch() -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("integrations.sandbox.shop.tasks.outbox_drain", group="sandbox-shop"))


def outbox_drain(*, now=None) -> dict:
    """Send every due delivery once; returns counts. Safe to run concurrently (each row is claimed)."""
    now = now or timezone.now()
    sent = failed = 0
    for delivery in Delivery.objects.select_related("endpoint").filter(status=Delivery.Status.PENDING,
                                                                       next_attempt_at__lte=now):
        claimed_until = now + timedelta(seconds=TIMEOUT_SECONDS * 3)
        if not Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING,
                                       next_attempt_at__lte=now).update(next_attempt_at=claimed_until):
            continue  # another drain took it
        ok = _deliver(delivery)
        sent, failed = sent + ok, failed + (not ok)
    return {"sent": sent, "failed": failed, "pending": Delivery.objects.filter(status=Delivery.Status.PENDING).count()}


def _deliver(delivery: Delivery) -> bool:
    delivery.attempts += 1
    try:
        response = requests.post(delivery.endpoint.url, data=delivery.body.encode(), timeout=TIMEOUT_SECONDS,
                                 headers={**delivery.headers, "Content-Type": delivery.content_type},
                                 allow_redirects=False)
        delivery.last_status_code, delivery.last_error = response.status_code, response.text[:300]
        ok = 200 <= response.status_code < 300
    except requests.RequestException as exc:
        delivery.last_status_code, delivery.last_error, ok = None, f"{type(exc).__name__}: {exc}"[:300], False
    if ok:
        delivery.status = Delivery.Status.DELIVERED
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = Delivery.Status.FAILED
    else:
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=10 * 2 ** delivery.attempts)
        _retry_schedule(delivery.next_attempt_at)
    delivery.save()
    return ok


def _retry_schedule(when) -> None:
    from django_q.models import Schedule

    Schedule.objects.create(func="integrations.sandbox.shop.tasks.outbox_drain", schedule_type=Schedule.ONCE,
                            next_run=when, name=f"sandbox shop retry {uuid.uuid4().hex[:8]}")

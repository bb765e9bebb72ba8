"""Shopify and WooCommerce order webhooks (POST /api/webhooks/shopify|woocommerce/<connection_id>/).

What the two receivers share: the signature check against the
connection's webhook secret(s), order parsing into a stored event, and staleness.

An event is stale when it is older than the connection's maximum age, or when an event
for the same order with a later timestamp was already received (retries resend the
original payload, so a late retry must not overwrite a newer update). A stale event is
stored (nothing received is lost) but not routed to flows, and answered 200 so the
sender stops retrying it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.connectors.receiving import (
    Delivery,
    Handshake,
    ParsedEvent,
    Receiver,
    WebhookRejected,
)
from integrations.connectors.shop import privacy, shopify, woocommerce
from integrations.connectors.shop.order import (
    OrderInvalid,
    ShopOrder,
    signature_matches,
)
from integrations.connectors.shop.versions import event_time, order_version, order_version_started
from integrations.models import InboundEvent


class ShopReceiver(Receiver):
    signature_header: str = ""

    def verify(self, delivery: Delivery, connection) -> None:
        secrets = [connection.get_secret("webhook_secret"), connection.get_secret("webhook_secret_previous")]
        if not any(secrets):
            raise WebhookRejected("This connection has no webhook secret yet: set it in the admin.", 401)
        header = delivery.headers.get(self.signature_header, "")
        if not header:
            raise WebhookRejected(f"The {self.signature_header} header is missing.", 401)
        if not signature_matches(delivery.body, header, secrets):
            raise WebhookRejected("The signature does not match the body (wrong secret, or the body was changed).", 401)

    def order_event(self, connection, *, dedupe_key: str, topic: str, order: ShopOrder, stamp: datetime | None,
                    routable: bool, check_age: bool = True, extra: dict | None = None) -> ParsedEvent:
        stale = self.staleness(connection, order.id, stamp, check_age=check_age) if routable else ""
        # The same version already came (another subscription's delivery, or the catch-up poll read
        # it first): stored, but one order version makes one sync.
        again = routable and not stale and order_version_started(connection, order)
        ignored = (f"Stale: {stale} Stored, not synced." if stale else
                   "This version of the order was already received (by a delivery or the catch-up poll); "
                   "stored, not synced again." if again else "")
        return ParsedEvent(
            dedupe_key=dedupe_key, event_type=topic, object_type="order", object_id=order.id,
            payload={"order": order.to_payload(), "topic": topic, "event_at": stamp.isoformat() if stamp else "",
                     "stale": stale, "version": order_version(order), **(extra or {})},
            routable=routable and not stale and not again,
            ignored_because=ignored,
        )

    @staticmethod
    def staleness(connection, order_id: str, stamp: datetime | None, *, check_age: bool = True) -> str:
        if stamp is None:
            return ""
        max_age = int(connection.settings.get("webhook_max_age_seconds") or settings.SHOP_WEBHOOK_MAX_AGE_SECONDS)
        if check_age and stamp < timezone.now() - timedelta(seconds=max_age):
            return f"Older than {max_age} s when received."
        earlier = InboundEvent.objects.filter(connection=connection, object_type="order", object_id=order_id)
        for payload in earlier.values_list("payload", flat=True):
            seen = event_time((payload or {}).get("event_at", ""))
            if seen and seen > stamp:
                return f"A newer event for this order ({seen.isoformat()}) was already received."
        return ""

    @staticmethod
    def parse_order(parser, body: bytes) -> ShopOrder:
        try:
            return parser(body)
        except OrderInvalid as exc:
            raise WebhookRejected(str(exc), 400) from None


class ShopifyReceiver(ShopReceiver):
    signature_header = shopify.HMAC_HEADER

    def handshake(self, delivery: Delivery, connection) -> Handshake | None:
        # The privacy topics are no orders: verified like any delivery, acted on in the same
        # transaction as their event is stored (without the body: it names the customer), answered 200.
        topic = delivery.headers.get(shopify.TOPIC_HEADER, "").strip()
        if topic not in privacy.PRIVACY_TOPICS:
            return None
        self.verify(delivery, connection)
        webhook_id = delivery.headers.get(shopify.WEBHOOK_ID_HEADER, "").strip()[:120]
        if not webhook_id:
            raise WebhookRejected(f"The {shopify.WEBHOOK_ID_HEADER} header is missing.", 400)
        try:
            data = privacy.privacy_payload(delivery.body, topic)
        except OrderInvalid as exc:
            raise WebhookRejected(str(exc), 400) from None
        event = ParsedEvent(dedupe_key=f"shopify:{webhook_id}", event_type=topic, object_type="privacy",
                            object_id=str(data.get("shop_id", ""))[:120], payload=privacy.privacy_summary(data),
                            routable=False, ignored_because=f"Privacy request ({topic}): acted on when received.")
        return Handshake(answer={"received": 1, "topic": topic}, event=event, signature_valid=True,
                         then=lambda: privacy.privacy_act(connection, topic, data))

    def parse(self, delivery: Delivery, connection) -> list[ParsedEvent]:
        webhook_id = delivery.headers.get(shopify.WEBHOOK_ID_HEADER, "").strip()
        if not webhook_id:
            raise WebhookRejected(f"The {shopify.WEBHOOK_ID_HEADER} header is missing.", 400)
        topic = delivery.headers.get(shopify.TOPIC_HEADER, "").strip()
        triggered = delivery.headers.get(shopify.TRIGGERED_AT_HEADER, "")
        stamp = event_time(triggered)
        if triggered and stamp is None:
            raise WebhookRejected(f"{shopify.TRIGGERED_AT_HEADER} '{triggered[:40]}' is not a timestamp.", 400)
        if topic == shopify.REFUND_TOPIC:
            return [self.refund_event(delivery, webhook_id, stamp)]
        order = self.parse_order(shopify.shopify_order_parse, delivery.body)
        # X-Shopify-Event-Id names the event across subscriptions (two subscriptions of one topic get
        # the same event id, each its own webhook id): it is the dedupe key when sent.
        event_id = delivery.headers.get(shopify.EVENT_ID_HEADER, "").strip()[:120]
        return [self.order_event(connection, dedupe_key=f"shopify:event:{event_id}" if event_id else f"shopify:{webhook_id}",
                                 topic=topic, order=order, stamp=stamp, routable=topic in shopify.ORDER_TOPICS,
                                 extra={"event_id": event_id, "webhook_id": webhook_id[:120],
                                        "api_version": delivery.headers.get(shopify.API_VERSION_HEADER, "")[:20]})]


    def refund_event(self, delivery: Delivery, webhook_id: str, stamp: datetime | None) -> ParsedEvent:
        """``refunds/create`` carries the refund alone; Shopify also sends ``orders/updated`` with the order
        and all its refunds, which is what the flow reads. The refund is kept under its order, not routed."""
        try:
            refund = shopify.shopify_refund_parse(delivery.body)
        except OrderInvalid as exc:
            raise WebhookRejected(str(exc), 400) from None
        return ParsedEvent(dedupe_key=f"shopify:{webhook_id}", event_type=shopify.REFUND_TOPIC, object_type="order",
                           object_id=refund["order_id"],
                           # "refund_at", not "event_at": a refund must not make the order's own update stale
                           payload={"refund": refund, "topic": shopify.REFUND_TOPIC,
                                    "refund_at": stamp.isoformat() if stamp else ""},
                           routable=False, ignored_because="A refund: the order's orders/updated delivery carries "
                                                           "it to the flows.")


class WooCommerceReceiver(ShopReceiver):
    signature_header = woocommerce.SIGNATURE_HEADER

    def handshake(self, delivery: Delivery, connection) -> Handshake | None:
        # The ping comes unsigned; answering it stores nothing and changes nothing.
        if delivery.headers.get(woocommerce.SIGNATURE_HEADER):
            return None
        ping = woocommerce.woocommerce_ping_id(delivery.body, delivery.headers.get("Content-Type", ""))
        return Handshake(answer={"ping": "ok", "webhook_id": ping}) if ping else None

    def parse(self, delivery: Delivery, connection) -> list[ParsedEvent]:
        delivery_id = delivery.headers.get(woocommerce.DELIVERY_ID_HEADER, "").strip()
        if not delivery_id:
            raise WebhookRejected(f"The {woocommerce.DELIVERY_ID_HEADER} header is missing.", 400)
        topic = delivery.headers.get(woocommerce.TOPIC_HEADER, "").strip()
        order = self.parse_order(woocommerce.woocommerce_order_parse, delivery.body)
        # WooCommerce sends no event timestamp; the order's own modification time orders its
        # events (a newer version already received makes this one stale), but says nothing
        # about when the delivery was triggered, so no maximum age applies.
        return [self.order_event(connection, dedupe_key=f"woocommerce:{delivery_id}", topic=topic, order=order,
                                 stamp=event_time(order.modified_at), routable=topic.startswith("order."),
                                 check_age=False)]

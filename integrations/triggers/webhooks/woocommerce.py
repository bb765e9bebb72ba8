"""POST /api/webhooks/woocommerce/<connection_id>/: WooCommerce order webhooks (and the ping)."""
from __future__ import annotations

from rest_framework.response import Response

from integrations.connectors.shop import woocommerce
from integrations.models import System
from integrations.triggers.webhooks.base import ParsedEvent, WebhookRejected
from integrations.triggers.webhooks.shop import ShopReceiver, event_time


class WooCommerceReceiver(ShopReceiver):
    system = System.WOOCOMMERCE
    signature_header = woocommerce.SIGNATURE_HEADER

    def handshake(self, request, connection, body: bytes):
        # The ping comes unsigned; answering it stores nothing and changes nothing.
        if request.headers.get(woocommerce.SIGNATURE_HEADER):
            return None
        ping = woocommerce.woocommerce_ping_id(body, request.headers.get("Content-Type", ""))
        return Response({"ping": "ok", "webhook_id": ping}) if ping else None

    def parse(self, request, connection, body: bytes) -> list[ParsedEvent]:
        delivery_id = request.headers.get(woocommerce.DELIVERY_ID_HEADER, "").strip()
        if not delivery_id:
            raise WebhookRejected(f"The {woocommerce.DELIVERY_ID_HEADER} header is missing.", 400)
        topic = request.headers.get(woocommerce.TOPIC_HEADER, "").strip()
        order = self.parse_order(woocommerce.woocommerce_order_parse, body)
        # WooCommerce sends no event timestamp; the order's own modification time orders its
        # events (a newer version already received makes this one stale), but says nothing
        # about when the delivery was triggered, so no maximum age applies.
        return [self.order_event(connection, dedupe_key=f"woocommerce:{delivery_id}", topic=topic, order=order,
                                 stamp=event_time(order.modified_at), routable=topic.startswith("order."),
                                 check_age=False)]

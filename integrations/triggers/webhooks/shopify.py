"""POST /api/webhooks/shopify/<connection_id>/: Shopify order webhooks."""
from __future__ import annotations

from integrations.connectors.shop import shopify
from integrations.models import System
from integrations.triggers.webhooks.base import ParsedEvent, WebhookRejected
from integrations.triggers.webhooks.shop import ShopReceiver, event_time


class ShopifyReceiver(ShopReceiver):
    system = System.SHOPIFY
    signature_header = shopify.HMAC_HEADER

    def parse(self, request, connection, body: bytes) -> list[ParsedEvent]:
        webhook_id = request.headers.get(shopify.WEBHOOK_ID_HEADER, "").strip()
        if not webhook_id:
            raise WebhookRejected(f"The {shopify.WEBHOOK_ID_HEADER} header is missing.", 400)
        topic = request.headers.get(shopify.TOPIC_HEADER, "").strip()
        triggered = request.headers.get(shopify.TRIGGERED_AT_HEADER, "")
        stamp = event_time(triggered)
        if triggered and stamp is None:
            raise WebhookRejected(f"{shopify.TRIGGERED_AT_HEADER} '{triggered[:40]}' is not a timestamp.", 400)
        order = self.parse_order(shopify.shopify_order_parse, body)
        return [self.order_event(connection, dedupe_key=f"shopify:{webhook_id}", topic=topic, order=order,
                                 stamp=stamp, routable=topic in shopify.ORDER_TOPICS)]

"""Salesforce change events relayed to us (POST /api/webhooks/salesforce/<connection_id>/): CDC-shaped.

Authenticated per connection by the ``webhook_secret`` secret: either
``X-Ledgerlink-Signature: base64(HMAC-SHA256(secret, raw body))`` or, for senders that
cannot sign (Flow HTTP callouts), ``Authorization: Bearer <secret>``. One event or a list.
Each record of each event is stored once (dedupe on replay id, else transaction key and
sequence, plus the record id). Our own writes (changeOrigin client=<our tag>) are stored but
not routed: echo suppression.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from integrations.connectors.salesforce.client import call_options_client
from integrations.connectors.salesforce.events import (
    ChangeEvent,
    EventShapeError,
    event_dedupe_key,
    events_parse,
)
from integrations.connectors.receiving import (
    BodyInvalid,
    Delivery,
    ParsedEvent,
    Receiver,
    WebhookRejected,
    json_body_parse,
)


class SalesforceReceiver(Receiver):
    def verify(self, delivery: Delivery, connection) -> None:
        body = delivery.body
        secret = connection.get_secret("webhook_secret")
        if not secret:
            raise WebhookRejected("This connection has no webhook secret set; events cannot be verified.", 403)
        signature = delivery.headers.get("X-Ledgerlink-Signature", "")
        scheme, _, token = delivery.headers.get("Authorization", "").partition(" ")
        if signature:
            expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
            if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
                raise WebhookRejected("Signature does not match the body.", 401)
        elif scheme.lower() == "bearer" and token:
            if not hmac.compare_digest(secret.encode(), token.strip().encode()):
                raise WebhookRejected("Bearer secret is wrong.", 401)
        else:
            raise WebhookRejected("Missing X-Ledgerlink-Signature or Authorization: Bearer header.", 401)

    def parse(self, delivery: Delivery, connection) -> list[ParsedEvent]:
        try:
            data = json_body_parse(delivery.body)
        except BodyInvalid as exc:
            raise WebhookRejected(str(exc), 400) from None
        try:
            events = events_parse(data)
        except EventShapeError as exc:
            raise WebhookRejected(f"Not a change event: {exc}", 400) from None
        try:
            return change_events_parsed(events, client_tag=call_options_client(connection))
        except EventShapeError as exc:
            raise WebhookRejected(f"Not a change event: {exc}", 400) from None


def change_events_parsed(events: list[ChangeEvent], *, client_tag: str) -> list[ParsedEvent]:
    """Change events → the rows to store, one per record: the relay receiver and the Pub/Sub
    subscriber store events the same way (raises EventShapeError for an event with no key)."""
    parsed = []
    for event in events:
        echo = event.from_client(client_tag)
        ids = event.record_ids or [f"{event.entity}:*"]
        for record_id in ids:
            key = event_dedupe_key(event, record_id)
            wildcard = record_id.endswith("*")
            payload = {"changeType": event.change_type, "changedFields": event.changed_fields,
                       "changeOrigin": event.change_origin, "transactionKey": event.transaction_key,
                       "replayId": event.replay_id, "refetch": event.needs_refetch, "echo": echo,
                       "fields": event.fields if len(ids) == 1 else {}}
            if event.commit_timestamp is not None:
                payload["commitTimestamp"] = event.commit_timestamp
            if event.nulled_fields:
                payload["nulledFields"] = event.nulled_fields
            if event.diff_fields:
                payload["diffFields"] = event.diff_fields
            parsed.append(ParsedEvent(
                dedupe_key=key, event_type=f"{event.entity}.{event.change_type}", object_type=event.entity,
                object_id=record_id, action="delete" if event.change_type == "DELETE" else "upsert",
                payload=payload,
                # Our own writes and wildcard/overflow gaps are kept but start no record sync.
                routable=not echo and not wildcard,
                ignored_because=("Our own write, seen coming back (echo suppression): nothing to sync."
                                 if echo else "A change event without record ids (a gap or overflow): "
                                 "the next poll of the flow catches these changes up." if wildcard else ""),
            ))
    return parsed

"""Change Data Capture: every committed change becomes a change event on the simulated bus
and an outbox row per subscription; a background worker (django-q2) delivers them.

Delivery is signed the way Ledgerlink's receiver expects (X-Ledgerlink-Signature:
base64(HMAC-SHA256(secret, raw body)), or a bearer secret) and retried with backoff.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta

import requests
from django.db import transaction
from django.utils import timezone

from .context import write_context
from .models import SfChangeEvent, SfDelivery, SfSubscription
from .schema import CDC_OBJECTS

logger = logging.getLogger(__name__)
# Fields change events never carry (Change Event Message Structure).
NOT_IN_EVENTS = {"IsDeleted", "SystemModstamp"}
DELIVERY_MAX_ATTEMPTS = 10
DELIVERY_TIMEOUT_SECONDS = 10


def change_emit(*, entity: str, record_id: str, change_type: str, changed_fields: list[str], values: dict,
                commit_user: str = "") -> SfChangeEvent | None:
    """Put one change on the bus (inside the writer's transaction, so a rollback drops it)."""
    if entity not in CDC_OBJECTS:
        return None
    ctx = write_context()
    now = timezone.now()
    header = {
        "entityName": entity, "recordIds": [record_id], "changeType": change_type,
        "changedFields": [f for f in changed_fields if f not in NOT_IN_EVENTS] if change_type == "UPDATE" else [],
        "changeOrigin": ctx.origin, "transactionKey": ctx.transaction_key, "sequenceNumber": ctx.next_sequence(),
        "commitTimestamp": int(now.timestamp() * 1000), "commitUser": commit_user or ctx.user_id,
        "commitNumber": int(now.timestamp() * 1_000_000),
    }
    if change_type == "DELETE":
        body = {}
    elif change_type == "CREATE":
        body = {k: v for k, v in values.items() if v is not None and k not in NOT_IN_EVENTS and k != "Id"}
    else:
        body = {k: values.get(k) for k in header["changedFields"]}
    event = SfChangeEvent.objects.create(entity=entity, change_type=change_type, record_ids=[record_id],
                                         header=header, fields=body, created_at=now)
    subscriptions = [s for s in SfSubscription.objects.filter(active=True) if s.wants(entity)]
    SfDelivery.objects.bulk_create([SfDelivery(event=event, subscription=s) for s in subscriptions])
    if subscriptions:
        transaction.on_commit(deliveries_schedule)
    return event


def deliveries_schedule() -> None:
    """Wake the worker after commit; the drain also runs on a schedule as a safety net."""
    from django_q.tasks import async_task

    async_task("integrations.sandbox.salesforce.tasks.sandbox_salesforce_deliver", task_name="sandbox-sf-deliver")


# -- rendering --------------------------------------------------------------------------
def _schema(entity: str):
    """The entity's change event schema, the one the Pub/Sub API serves (imported late: pubsub/
    builds on this module's models)."""
    from .org import org_get
    from .pubsub.schemas import event_schema

    return event_schema(entity, org_get().multi_currency)


def event_render(event: SfChangeEvent, shape: str) -> dict:
    schema = _schema(event.entity)
    if shape == SfSubscription.Shape.PUBSUB:
        # The Avro-decoded form the Pub/Sub API delivers (pubsub/payloads.py), with its replay id.
        from .pubsub.payloads import event_record

        return {"replayId": str(event.pk), "payload": event_record(event, schema)}
    return {
        "schema": schema.schema_id,
        "channel": f"/data/{event.entity}ChangeEvent",
        "data": {"schema": schema.schema_id,
                 "payload": {"ChangeEventHeader": event.header, **event.fields},
                 "event": {"replayId": event.pk}},
    }


# -- delivery ---------------------------------------------------------------------------
def delivery_send(delivery: SfDelivery) -> bool:
    sub = delivery.subscription
    body = json.dumps(event_render(delivery.event, sub.shape)).encode()
    headers = {"Content-Type": "application/json"}
    if sub.auth == SfSubscription.Auth.BEARER:
        headers["Authorization"] = f"Bearer {sub.secret}"
    else:
        digest = hmac.new(sub.secret.encode(), body, hashlib.sha256).digest()
        headers["X-Ledgerlink-Signature"] = base64.b64encode(digest).decode()
    now = timezone.now()
    delivery.attempts += 1
    try:
        response = requests.post(sub.endpoint, data=body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS,
                                 allow_redirects=False)
        delivery.last_status_code, ok = response.status_code, 200 <= response.status_code < 300
        delivery.last_error = "" if ok else response.text[:500]
    except requests.RequestException as exc:
        delivery.last_status_code, ok, delivery.last_error = None, False, f"{type(exc).__name__}: {exc}"[:500]
    if ok:
        delivery.status, delivery.delivered_at = SfDelivery.Status.DELIVERED, now
    elif delivery.attempts >= DELIVERY_MAX_ATTEMPTS:
        delivery.status = SfDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + timedelta(seconds=min(3600, 2 ** delivery.attempts * 5))
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_status_code", "last_error",
                                 "delivered_at"])
    return ok


def deliveries_drain(*, limit: int = 500, include_future: bool = False) -> dict:
    """Send due deliveries in replay order (tests call this to deliver synchronously)."""
    due = SfDelivery.objects.filter(status=SfDelivery.Status.PENDING)
    if not include_future:
        due = due.filter(next_attempt_at__lte=timezone.now())
    sent = failed = 0
    for delivery in due.select_related("event", "subscription").order_by("event_id", "pk")[:limit]:
        if delivery_send(delivery):
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}

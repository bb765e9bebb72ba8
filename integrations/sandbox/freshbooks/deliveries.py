"""Webhook deliveries: the outbox, FreshBooks' signature, and the background sender.

A state change only writes outbox rows (inside the API request's transaction); a django-q2
task enqueued on commit sends them, so the API call that caused an event is never slowed by
the receiver. Tests drain the outbox synchronously with ``deliveries_drain()``.

Signature (API reference §4.4): base64(HMAC-SHA256(verifier, json.dumps(form params as
strings, in sent order, default separators))) in ``X-FreshBooks-Hmac-SHA256``. The
simulator signs on its own; it shares no code with Ledgerlink's checker on purpose.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta
from urllib.parse import urlencode

import requests
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .faults import fault_consume
from .models import SimAccount, SimCallback, SimDelivery, SimUser

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-FreshBooks-Hmac-SHA256"
DRAIN_TASK = "integrations.sandbox.freshbooks.tasks.deliveries_drain"
DELIVERY_TIMEOUT_SECONDS = 10


def signature_of(verifier: str, params: list[tuple[str, str]]) -> str:
    message = json.dumps({key: str(value) for key, value in params})
    digest = hmac.new(verifier.encode("utf-8"), msg=message.encode("utf-8"), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _actor_ids(account: SimAccount, actor: SimUser | None) -> tuple[str, str]:
    membership = account.memberships.filter(user=actor).first() if actor else None
    membership = membership or account.memberships.order_by("pk").first()
    user_id = membership.legacy_user_id if membership else 1
    identity_id = membership.user_id if membership else 0
    return str(user_id), str(identity_id)


def event_emit(*, account: SimAccount, name: str, object_id, actor: SimUser | None) -> int:
    """Queue `name` for every verified callback subscribed to it or to its parent event."""
    parent = name.split(".")[0]
    callbacks = list(SimCallback.objects.filter(account=account, verified=True, event__in=[name, parent]))
    if not callbacks:
        return 0
    user_id, identity_id = _actor_ids(account, actor)
    params = [("name", name), ("object_id", str(object_id)), ("account_id", account.account_id),
              ("business_id", str(account.business_id)), ("identity_id", identity_id), ("user_id", user_id)]
    for callback in callbacks:
        _outbox_add(account=account, callback=callback, params=params)
    return len(callbacks)


def verification_send(*, callback: SimCallback) -> SimDelivery:
    """The callback.verify POST FreshBooks makes right after registration (and on resend)."""
    account = callback.account
    user_id, identity_id = _actor_ids(account, None)
    params = [("user_id", user_id), ("name", "callback.verify"), ("verifier", callback.verifier),
              ("object_id", str(callback.pk)), ("account_id", account.account_id),
              ("system", f"https://{account.account_id.lower()}.freshbooks.com")]
    if account.option("verify_includes_business_ids"):
        params += [("business_id", str(account.business_id)), ("identity_id", identity_id)]
    return _outbox_add(account=account, callback=callback, params=params, faults=False)


def _outbox_add(*, account: SimAccount, callback: SimCallback, params: list[tuple[str, str]], faults: bool = True):
    fields = dict(account=account, callback=callback, uri=callback.uri, name=params[[k for k, _ in params].index("name")][1],
                  object_id=dict(params)["object_id"], body=urlencode(params),
                  signature=signature_of(callback.verifier, params))
    copies, status = 1, SimDelivery.Status.PENDING
    if faults and fault_consume(account, "fault_drop_deliveries"):
        status = SimDelivery.Status.DROPPED
    elif faults and fault_consume(account, "fault_duplicate_deliveries"):
        copies = 2
    delivery = None
    for _ in range(copies):
        delivery = SimDelivery.objects.create(status=status, **fields)
    if status == SimDelivery.Status.PENDING:
        deliveries_drain_enqueue()
    return delivery


def deliveries_drain_enqueue() -> None:
    """Ask a worker to send the outbox once the current transaction commits."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(DRAIN_TASK, task_name="sandbox-freshbooks-deliveries"))


def deliveries_drain(*, limit: int = 200, session: requests.Session | None = None) -> int:
    """Send due deliveries (claimed one by one, so concurrent drains never send one twice)."""
    own = session is None
    session = session or requests.Session()
    sent = 0
    due = SimDelivery.objects.filter(status=SimDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
    try:
        for delivery_id in list(due.order_by("id").values_list("id", flat=True)[:limit]):
            claimed = SimDelivery.objects.filter(pk=delivery_id, status=SimDelivery.Status.PENDING).update(
                status=SimDelivery.Status.SENDING, attempts=F("attempts") + 1)
            if claimed:
                _deliver(SimDelivery.objects.select_related("account").get(pk=delivery_id), session)
                sent += 1
    finally:
        if own:
            session.close()
    return sent


def _deliver(delivery: SimDelivery, session: requests.Session) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", SIGNATURE_HEADER: delivery.signature,
               "User-Agent": "FreshBooks Webhooks (Ledgerlink simulator)"}
    try:
        response = session.post(delivery.uri, data=delivery.body.encode(), headers=headers,
                                timeout=DELIVERY_TIMEOUT_SECONDS, allow_redirects=False)
        delivery.response_status, delivery.response_body = response.status_code, response.text[:2000]
        delivery.error = "" if response.ok else f"Receiver answered {response.status_code}."
        ok = 200 <= response.status_code < 300
    except requests.RequestException as exc:
        delivery.response_status, delivery.response_body, ok = None, "", False
        delivery.error = f"Could not reach the receiver: {type(exc).__name__}."
    now = timezone.now()
    if ok:
        delivery.status, delivery.delivered_at = SimDelivery.Status.DELIVERED, now
    elif delivery.attempts >= delivery.account.option("delivery_max_attempts"):
        delivery.status = SimDelivery.Status.FAILED
    else:
        delivery.status = SimDelivery.Status.PENDING
        delivery.next_attempt_at = now + timedelta(seconds=10 * 2 ** (delivery.attempts - 1))
    delivery.save()

"""Store a Pub/Sub batch: its events and the topic's replay id in one transaction.

The replay id moves only together with the events it covers, and only while this process holds
the connection's lease (lease_fence): a crash or SIGKILL at any point leaves either both or
neither, so the restart resumes right after the last stored event (nothing lost) and a repeat
delivery is deduplicated by its key (replay id + record id). Routing is queued after the commit,
as the webhook view does.
"""
from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.connectors.receiving import ParsedEvent
from integrations.models import Connection, PubSubSubscription
from integrations.sync.routing import inbound_events_dispatch
from integrations.triggers.intake import parsed_events_store
from integrations.triggers.subscriber.lease import lease_fence

logger = logging.getLogger(__name__)
S = PubSubSubscription.State


def pubsub_batch_store(*, connection: Connection, subscription: PubSubSubscription, holder: str,
                       events: list[ParsedEvent], replay_id_hex: str, last_commit_at: datetime | None,
                       keepalive: bool = False) -> int:
    """Store the batch (``events`` may be empty: a keepalive moves the replay id); returns how
    many events were new. Raises LeaseLost (nothing stored) once another process holds the lease."""
    now = timezone.now()
    with transaction.atomic():
        lease_fence(connection_id=connection.pk, holder=holder)
        new, to_route = parsed_events_store(connection=connection, events=events,
                                            headers={"pubsub-topic": subscription.topic})
        changes = {"heartbeat_at": now, "holder": holder, "state": S.ACTIVE, "last_error": ""}
        if replay_id_hex:
            changes["replay_id"] = replay_id_hex
        if last_commit_at is not None:
            changes["last_event_at"] = last_commit_at
        if keepalive:
            changes["last_keepalive_at"] = now
        if new:
            changes["events_stored"] = F("events_stored") + new
        PubSubSubscription.objects.filter(pk=subscription.pk).update(**changes)
    if to_route:  # only once committed: see inbound_events_dispatch
        inbound_events_dispatch(connection_id=connection.pk)
    return new


def subscription_state_set(subscription: PubSubSubscription, state: str, *, error: str = "", holder: str = "",
                           replay_id: str | None = None) -> None:
    """Record the stream's state (logged when it changes)."""
    if subscription.state != state or (error and error != subscription.last_error):
        logger.info("Pub/Sub %s (connection %s): %s%s", subscription.topic, subscription.connection_id, state,
                    f" ({error})" if error else "")
    changes = {"state": state, "heartbeat_at": timezone.now(), "last_error": error[:2000]}
    if holder:
        changes["holder"] = holder
    if replay_id is not None:
        changes["replay_id"] = replay_id
    PubSubSubscription.objects.filter(pk=subscription.pk).update(**changes)
    subscription.state, subscription.last_error = state, error
    if replay_id is not None:
        subscription.replay_id = replay_id

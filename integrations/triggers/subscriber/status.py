"""What the dashboard and the connection's page show about the subscriber: per topic, its state,
the holder, and the lag (now − the last stored event's commit time). A quiet topic has no new
events to lag behind: the last keepalive says the stream is alive (the server sends one at least
every 270 s), so the lag is shown next to it rather than as an alarm by itself."""
from __future__ import annotations

from django.utils import timezone

from integrations.models import PubSubSubscription, SubscriberLease


def subscribers_status(connection_id: int | None = None) -> list[dict]:
    """One row per subscription (settings.LEDGERLINK_SUBSCRIBERS_PROVIDER: monitoring imports
    nothing from integrations)."""
    now = timezone.now()
    subscriptions = PubSubSubscription.objects.select_related("connection").order_by("connection__name", "topic")
    if connection_id is not None:
        subscriptions = subscriptions.filter(connection_id=connection_id)
    leases = {lease.connection_id: lease for lease in SubscriberLease.objects.all()}
    rows = []
    for sub in subscriptions:
        lease = leases.get(sub.connection_id)
        live = lease is not None and lease.lease_until > now
        rows.append({
            "connection_id": sub.connection_id, "connection": sub.connection.name, "topic": sub.topic,
            "state": sub.state if live or sub.state in (sub.State.STOPPED, sub.State.FAILED) else "no subscriber",
            "holder": lease.holder if live else "", "events_stored": sub.events_stored,
            "last_event_at": sub.last_event_at, "last_keepalive_at": sub.last_keepalive_at,
            "lag_seconds": (now - sub.last_event_at).total_seconds() if sub.last_event_at else None,
            "keepalive_age_seconds": (now - sub.last_keepalive_at).total_seconds() if sub.last_keepalive_at else None,
            "last_error": sub.last_error,
        })
    return rows

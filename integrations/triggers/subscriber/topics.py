"""Which Pub/Sub topics a Salesforce connection's subscriber reads, and for which flows."""
from __future__ import annotations

from integrations.models import Connection, Flow, System


def change_event_topic(source_object: str) -> str:
    """``/data/<Entity>ChangeEvent``; a custom object ``Foo__c`` → ``/data/Foo__ChangeEvent``."""
    name = source_object[:-3] + "__" if source_object.endswith("__c") else source_object
    return f"/data/{name}ChangeEvent"


def connection_topics(connection: Connection) -> dict[str, list[Flow]]:
    """{topic: the enabled flows it feeds}. A custom channel on the connection (settings
    ``pubsub_channel``, e.g. ``/data/LedgerlinkChanges__chn``) carries every flow's objects."""
    flows = list(Flow.objects.filter(enabled=True, source_connection=connection).order_by("pk"))
    if not flows:
        return {}
    channel = str(connection.settings.get("pubsub_channel") or "").strip()
    if channel:
        return {channel: flows}
    topics: dict[str, list[Flow]] = {}
    for flow in flows:
        topics.setdefault(change_event_topic(flow.source_object), []).append(flow)
    return topics


def subscribable_connections(name: str | None = None):
    """Active Salesforce connections with enabled flows reading them (or the one named)."""
    connections = Connection.objects.filter(system=System.SALESFORCE, is_active=True)
    if name:
        return connections.filter(name=name)
    return connections.filter(flows_out__enabled=True).distinct().order_by("pk")

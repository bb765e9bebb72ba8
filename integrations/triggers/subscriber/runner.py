"""The long-running subscriber (``manage.py salesforce_subscribe``): for each subscribable
Salesforce connection, hold its lease and run one stream per topic; without the lease, stand by.

Every tick (PUBSUB_TICK_SECONDS) the runner renews the leases it holds (at most every
PUBSUB_LEASE_RENEW_SECONDS), tries to take the ones it does not, restarts streams that died,
and every PUBSUB_TOPICS_REFRESH_SECONDS re-reads which topics the enabled flows need. A lease
lost (another process took it after ours expired) stops that connection's streams at once; the
fence in every store already keeps them from storing.
"""
from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

from integrations.connectors.salesforce.pubsub.schemas import SchemaCache
from integrations.models import Connection, PubSubSubscription
from integrations.triggers.subscriber.lease import lease_acquire, lease_release, subscriber_holder_id
from integrations.triggers.subscriber.stream import TopicStream
from integrations.triggers.subscriber.topics import connection_topics, subscribable_connections

logger = logging.getLogger(__name__)
S = PubSubSubscription.State


class ConnectionSubscriber:
    """One connection's streams in this process."""

    def __init__(self, connection: Connection, *, holder: str, schemas: SchemaCache, start_preset: str | None):
        self.connection_id, self.name = connection.pk, connection.name
        self.holder, self.schemas, self.start_preset = holder, schemas, start_preset
        self.streams: dict[str, TopicStream] = {}
        self.held = False
        self.renewed_at = 0.0
        self.topics: list[str] = []
        self.topics_read_at = 0.0

    def tick(self, now: float) -> None:
        if self.held and now - self.renewed_at < settings.PUBSUB_LEASE_RENEW_SECONDS and not self._lost():
            self._streams_keep(now)
            return
        held = lease_acquire(connection_id=self.connection_id, holder=self.holder) and not self._lost()
        if held and not self.held:
            logger.info("Subscriber for %s: active (lease taken by %s)", self.name, self.holder)
        elif self.held and not held:
            logger.warning("Subscriber for %s: lease lost; standing by", self.name)
            self.streams_stop()
        elif not held and self.renewed_at == 0.0:
            logger.info("Subscriber for %s: standby (another process holds the lease)", self.name)
            self.renewed_at = -1.0
        self.held = held
        if held:
            self.renewed_at = now
            self._streams_keep(now)

    def _lost(self) -> bool:
        return any(stream.lease_lost for stream in self.streams.values())

    def _streams_keep(self, now: float) -> None:
        if now - self.topics_read_at >= settings.PUBSUB_TOPICS_REFRESH_SECONDS or not self.topics_read_at:
            connection = Connection.objects.get(pk=self.connection_id)
            self.topics = sorted(connection_topics(connection))
            self.topics_read_at = now
        for topic in list(self.streams):
            if topic not in self.topics:
                self.streams.pop(topic).stop()
        for topic in self.topics:
            stream = self.streams.get(topic)
            if stream is None or not stream.is_alive():
                stream = TopicStream(connection_id=self.connection_id, topic=topic, holder=self.holder,
                                     schemas=self.schemas, start_preset=self.start_preset)
                self.streams[topic] = stream
                stream.start()

    def streams_stop(self) -> None:
        for stream in self.streams.values():
            stream.stop()
        for stream in self.streams.values():
            stream.join(timeout=5)
        self.streams = {}
        self.held = False


def subscriber_run(*, stop: threading.Event, connection_name: str | None = None,
                   start_preset: str | None = None) -> None:
    """Run until ``stop`` is set; then stop the streams, release the leases (a standby takes over
    at its next look) and mark the subscriptions stopped."""
    holder, schemas = subscriber_holder_id(), SchemaCache()
    subscribers: dict[int, ConnectionSubscriber] = {}
    logger.info("Pub/Sub subscriber %s starting", holder)
    try:
        while not stop.is_set():
            close_old_connections()
            now = time.monotonic()
            wanted = {c.pk: c for c in subscribable_connections(connection_name)}
            for pk in list(subscribers):
                if pk not in wanted:
                    subscribers.pop(pk).streams_stop()
                    lease_release(connection_id=pk, holder=holder)
            for pk, connection in wanted.items():
                subscriber = subscribers.get(pk) or subscribers.setdefault(
                    pk, ConnectionSubscriber(connection, holder=holder, schemas=schemas, start_preset=start_preset))
                try:
                    subscriber.tick(now)
                except Exception:  # a database hiccup: the next tick tries again
                    logger.exception("Subscriber for %s: tick failed", connection.name)
            stop.wait(settings.PUBSUB_TICK_SECONDS)
    finally:
        for pk, subscriber in subscribers.items():
            subscriber.streams_stop()
            lease_release(connection_id=pk, holder=holder)
            PubSubSubscription.objects.filter(connection_id=pk, holder=holder).update(state=S.STOPPED)
        logger.info("Pub/Sub subscriber %s stopped", holder)

"""One topic's subscribe stream, in a thread of its own, for as long as the lease is ours.

- Start: CUSTOM right after the stored replay id, else the start preset (LATEST; EARLIEST for a
  first backfill window within the server's retention).
- Pull flow control: ``num_requested`` events are asked for; once half have arrived (and been
  stored) the rest is topped up, so the server never runs ahead of what we have stored.
- Each batch is stored with the replay id it reaches in one fenced transaction (store.py); an
  empty batch is a keepalive: its latest replay id is stored, so a restart after a quiet week
  does not start from a point past retention.
- An auth error: the token is refreshed (single-flight with every other token user) and the
  stream resubscribes from the stored replay id. A replay id the server no longer holds: resume
  from LATEST and catch up by polling (catchup.py). Any other failure: reconnect after a capped
  full-jitter backoff.
"""
from __future__ import annotations

import logging
import queue
import threading
from datetime import UTC, datetime

import grpc
from django.conf import settings
from django.db import close_old_connections, connections, transaction

from integrations.connectors.receiving import ParsedEvent
from integrations.connectors.salesforce.client import call_options_client
from integrations.connectors.salesforce.pubsub.channel import auth_metadata, pubsub_channel_open, pubsub_stub
from integrations.connectors.salesforce.pubsub.decoding import consumer_event_decode
from integrations.connectors.salesforce.pubsub.errors import error_sentence, is_auth_error, is_replay_id_invalid
from integrations.connectors.salesforce.pubsub.schemas import SchemaCache
from integrations.connectors.salesforce.receiver import change_events_parsed
from integrations.connectors.salesforce.tokens import session_refresh
from integrations.errors import AuthError, RetryableError
from integrations.models import Connection, PubSubSubscription
from integrations.sync.retry import BackoffPolicy
from integrations.triggers.subscriber.catchup import subscription_catch_up
from integrations.triggers.subscriber.lease import LeaseLost, lease_fence
from integrations.triggers.subscriber.store import pubsub_batch_store, subscription_state_set
from integrations.triggers.subscriber.topics import connection_topics
from pubsub_wire import pubsub_api_pb2 as pb

logger = logging.getLogger(__name__)
S = PubSubSubscription.State
PRESETS = {"LATEST": pb.LATEST, "EARLIEST": pb.EARLIEST}


def commit_time(commit_timestamp) -> datetime | None:
    return datetime.fromtimestamp(commit_timestamp / 1000, tz=UTC) if isinstance(commit_timestamp, int) else None


def undecodable_event(item, exc: Exception) -> ParsedEvent:
    """An event that cannot be read as a change event is stored (not routed) with the reason, and
    the stream goes on: one bad event must not hold up every later one on the topic."""
    replay = item.replay_id.hex()
    return ParsedEvent(dedupe_key=f"replay:{replay}:undecodable", event_type="undecodable",
                       payload={"replayId": replay, "schemaId": item.event.schema_id, "eventId": item.event.id},
                       routable=False, ignored_because=f"Could not be decoded as a change event: {exc}"[:500])


class TopicStream(threading.Thread):
    def __init__(self, *, connection_id: int, topic: str, holder: str, schemas: SchemaCache,
                 start_preset: str | None = None):
        super().__init__(name=f"pubsub-{connection_id}-{topic}", daemon=True)
        self.connection_id, self.topic, self.holder, self.schemas = connection_id, topic, holder, schemas
        self.start_preset = (start_preset or settings.PUBSUB_START_PRESET).upper()
        self.stopping = threading.Event()
        self.lease_lost = False
        self._call = None
        self._lock = threading.Lock()
        self._delivering = False  # the current stream has answered at least once
        self._force_latest = False  # after a replay id the server no longer holds

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()  # unblocks the thread's read of the stream

    def run(self) -> None:
        try:
            self._run()
        except LeaseLost as exc:
            self.lease_lost = True
            logger.warning("Pub/Sub %s: %s Stopped storing.", self.topic, exc)
        except Exception:  # the runner restarts a dead stream; say why it died
            logger.exception("Pub/Sub %s stream crashed", self.topic)
        finally:
            connections.close_all()  # this thread's own database connection

    def _run(self) -> None:
        backoff = BackoffPolicy(base=settings.PUBSUB_RECONNECT_BASE_SECONDS,
                                cap=settings.PUBSUB_RECONNECT_CAP_SECONDS, floor=0)
        failures = 0
        subscription, _ = PubSubSubscription.objects.get_or_create(connection_id=self.connection_id, topic=self.topic)
        subscription_state_set(subscription, S.STARTING, holder=self.holder)
        while not self.stopping.is_set():
            close_old_connections()
            connection = Connection.objects.get(pk=self.connection_id)
            token = connection.get_secret("access_token")
            try:
                self._stream(connection, subscription)
                failures = 0
                continue
            except grpc.RpcError as exc:
                if self.stopping.is_set():
                    break
                failures = 1 if self._delivering else failures + 1  # a stream that worked starts the count again
                if is_auth_error(exc):
                    subscription_state_set(subscription, S.RECONNECTING,
                                           error=f"Not authenticated ({error_sentence(exc)}): refreshing the token.")
                    if self._refresh(connection, token, failures):
                        continue
                elif is_replay_id_invalid(exc):
                    self._resume_from_latest(connection, subscription, error_sentence(exc))
                    failures = 0
                    continue
                else:
                    subscription_state_set(subscription, S.RECONNECTING, error=error_sentence(exc))
            except RetryableError as exc:
                failures += 1
                subscription_state_set(subscription, S.RECONNECTING, error=str(exc)[:500])
            self.stopping.wait(backoff.delay(failures))

    def _refresh(self, connection: Connection, stale_token: str, failures: int) -> bool:
        """Refresh the token (single-flight); True to resubscribe at once."""
        try:
            session_refresh(connection=connection, stale_access_token=stale_token)
        except AuthError as exc:
            subscription = PubSubSubscription.objects.get(connection_id=self.connection_id, topic=self.topic)
            subscription_state_set(subscription, S.FAILED, error=f"Cannot refresh the token: {exc}")
            return False
        except RetryableError:
            return False
        return failures <= 3  # a token that keeps failing right after refresh: back off instead

    def _resume_from_latest(self, connection: Connection, subscription: PubSubSubscription, why: str) -> None:
        subscription.refresh_from_db()
        with transaction.atomic():  # only while the lease is ours, like every other write of the replay id
            lease_fence(connection_id=self.connection_id, holder=self.holder)
            subscription_state_set(subscription, S.RECONNECTING, replay_id="",
                                   error=f"The stored replay id is no longer held by the server ({why}).")
        self._force_latest = True
        flows = connection_topics(connection).get(self.topic, [])
        subscription_catch_up(connection=connection, topic=self.topic, flows=flows,
                              since=subscription.last_event_at or subscription.created_at,
                              reason=f"The server no longer holds the stored replay id ({why}).")

    def _stream(self, connection: Connection, subscription: PubSubSubscription) -> None:
        size = settings.PUBSUB_NUM_REQUESTED
        subscription.refresh_from_db()
        if subscription.replay_id:
            first = pb.FetchRequest(topic_name=self.topic, replay_preset=pb.CUSTOM,
                                    replay_id=bytes.fromhex(subscription.replay_id), num_requested=size)
        else:
            preset = pb.LATEST if self._force_latest else PRESETS.get(self.start_preset, pb.LATEST)
            first = pb.FetchRequest(topic_name=self.topic, replay_preset=preset, num_requested=size)
        requests: queue.Queue = queue.Queue()
        requests.put(first)

        def fetch_requests():
            while True:
                request = requests.get()
                if request is None:
                    return
                yield request

        metadata = auth_metadata(connection)
        channel = pubsub_channel_open(connection)
        stub = pubsub_stub(channel)
        try:
            with self._lock:
                if self.stopping.is_set():
                    return
                self._call = stub.Subscribe(fetch_requests(), metadata=metadata)
            subscription_state_set(subscription, S.ACTIVE, holder=self.holder)
            self._delivering = False
            pending = size
            tag = call_options_client(connection)
            for response in self._call:
                self._delivering = True
                if response.events:
                    self._batch_store(connection, subscription, stub, metadata, response, tag)
                    pending -= len(response.events)
                else:
                    pubsub_batch_store(connection=connection, subscription=subscription, holder=self.holder, events=[],
                                       replay_id_hex=response.latest_replay_id.hex(), last_commit_at=None,
                                       keepalive=True)
                if pending <= size // 2:  # top up once half has been stored
                    requests.put(pb.FetchRequest(topic_name=self.topic, num_requested=size - pending))
                    pending = size
        finally:
            requests.put(None)
            with self._lock:
                if self._call is not None:
                    self._call.cancel()
                self._call = None
            channel.close()

    def _batch_store(self, connection, subscription, stub, metadata, response, tag) -> None:
        events, rows = [], []
        for item in response.events:
            schema = self.schemas.get(stub, item.event.schema_id, metadata=metadata)  # an RpcError: reconnect
            try:
                event = consumer_event_decode(item, schema)
                rows += change_events_parsed([event], client_tag=tag)
                events.append(event)
            except Exception as exc:  # bad Avro or not a change event: kept, not routed; it must not block the topic
                rows.append(undecodable_event(item, exc))
        last_commit = max((t for e in events if (t := commit_time(e.commit_timestamp))), default=None)
        pubsub_batch_store(connection=connection, subscription=subscription, holder=self.holder, events=rows,
                           replay_id_hex=response.events[-1].replay_id.hex(), last_commit_at=last_commit)
        gaps = [e for e in events if e.is_gap]
        if gaps:
            since = subscription.last_event_at or commit_time(gaps[0].commit_timestamp)
            subscription_catch_up(
                connection=connection, topic=self.topic, flows=connection_topics(connection).get(self.topic, []),
                since=since, reason=f"Salesforce sent {len(gaps)} gap event(s) ({gaps[0].change_type}): "
                                    "the changes themselves were not delivered.")
        subscription.last_event_at = last_commit or subscription.last_event_at

"""The eventbus.v1.PubSub servicer: GetTopic, GetSchema and Subscribe. Publish, PublishStream and
ManagedSubscribe answer UNIMPLEMENTED (the simulated org only emits change events).

Every RPC runs on a thread of the server's pool and uses that thread's Django database connection:
closed when too old or broken at the start and end of each RPC (what Django does per request).
A Subscribe stream holds its thread while open; a helper thread only reads the client's
FetchRequests into a queue and never touches the database.
"""
from __future__ import annotations

import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import grpc
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from pubsub_wire import pubsub_api_pb2 as pb
from pubsub_wire import pubsub_api_pb2_grpc as pb_grpc

from ..models import SfChangeEvent, SfOrg, SfToken
from ..oauth import session_valid
from ..org import org_get
from .auth import caller_check
from .bus import events_after, position_after, position_earliest
from .clock import BusClock
from .errors import (
    SCHEMA_NOT_FOUND,
    PubSubError,
    auth_error,
    error_abort,
    fetch_invalid,
)
from .payloads import event_encode
from .replay import replay_id_encode
from .schemas import event_schema, schema_by_id
from .topics import Topic, topic_resolve

MAX_BATCH = 100  # events per FetchResponse
END = object()  # the client closed its side of the stream


@dataclass
class ServicerOptions:
    clock: BusClock
    stopping: threading.Event
    poll_seconds: float = 0.02
    control_seconds: float = 0.5  # how often an open stream re-reads the org, its session and its topic
    instance_roots: tuple[str, ...] = ()


@dataclass
class _Stream:
    topic: Topic
    token: SfToken
    started: datetime
    position: int
    outstanding: int = 0
    keepalive_seconds: float = 270
    last_sent: float = field(default_factory=time.monotonic)
    last_control: float = field(default_factory=time.monotonic)


def _rpc_id() -> str:
    return str(uuid.uuid4())


def _read_requests(request_iterator, inbox: queue.Queue) -> None:
    try:
        for request in request_iterator:
            inbox.put(request)
    except Exception:  # noqa: BLE001 - the call was cancelled or broke; the stream loop sees that
        pass
    inbox.put(END)


class PubSubServicer(pb_grpc.PubSubServicer):
    def __init__(self, options: ServicerOptions):
        self.options = options

    # -- unary ----------------------------------------------------------------------------
    def _unary(self, context, answer):
        rpc_id = _rpc_id()
        close_old_connections()
        try:
            org = org_get()
            caller_check(dict(context.invocation_metadata()), org, instance_roots=self.options.instance_roots)
            return answer(org, rpc_id)
        except PubSubError as exc:
            error_abort(context, exc, rpc_id)
        except DatabaseError:
            error_abort(context, PubSubError(grpc.StatusCode.UNAVAILABLE, "Try again later."), rpc_id)
        finally:  # the pool thread may idle for long: give its connection back (CONN_MAX_AGE keeps it)
            connections.close_all()

    def GetTopic(self, request, context):
        def answer(org: SfOrg, rpc_id: str):
            topic = topic_resolve(request.topic_name, org)
            # /data/ChangeEvents carries several schemas; its events name theirs (ConsumerEvent.event.schema_id).
            schema_id = event_schema(topic.entity, org.multi_currency).schema_id if topic.entity else ""
            return pb.TopicInfo(topic_name=topic.name, tenant_guid=org.org_id, can_publish=False, can_subscribe=True,
                                schema_id=schema_id, rpc_id=rpc_id)
        return self._unary(context, answer)

    def GetSchema(self, request, context):
        def answer(org: SfOrg, rpc_id: str):
            found = schema_by_id(request.schema_id)
            if found is None:
                raise PubSubError(grpc.StatusCode.NOT_FOUND, f"Schema {request.schema_id[:100]} not found.",
                                  SCHEMA_NOT_FOUND)
            return pb.SchemaInfo(schema_json=found.schema_json, schema_id=found.schema_id, rpc_id=rpc_id)
        return self._unary(context, answer)

    def Publish(self, request, context):
        error_abort(context, _unimplemented("Publish"), _rpc_id())

    def PublishStream(self, request_iterator, context):
        error_abort(context, _unimplemented("PublishStream"), _rpc_id())
        yield from ()

    def ManagedSubscribe(self, request_iterator, context):
        error_abort(context, _unimplemented("ManagedSubscribe"), _rpc_id())
        yield from ()

    # -- Subscribe ------------------------------------------------------------------------
    def Subscribe(self, request_iterator, context):
        rpc_id = _rpc_id()
        inbox: queue.Queue = queue.Queue()
        threading.Thread(target=_read_requests, args=(request_iterator, inbox), daemon=True,
                         name="pubsub-fetch-reader").start()
        close_old_connections()
        try:
            yield from self._subscribe(inbox, context, rpc_id)
        except PubSubError as exc:
            error_abort(context, exc, rpc_id)
        except DatabaseError:
            error_abort(context, PubSubError(grpc.StatusCode.UNAVAILABLE, "Try again later."), rpc_id)
        finally:  # the pool thread may idle for long: give its connection back (CONN_MAX_AGE keeps it)
            connections.close_all()

    def _subscribe(self, inbox: queue.Queue, context, rpc_id: str):
        options = self.options
        org = org_get()
        token = caller_check(dict(context.invocation_metadata()), org, instance_roots=options.instance_roots)
        started = timezone.now()
        first = self._first_request(inbox, context, token, started)
        if first is None:
            return
        if not first.topic_name:
            raise fetch_invalid("The first FetchRequest must name the topic (topic_name).")
        if first.num_requested < 0:
            raise fetch_invalid("num_requested must not be negative.")
        topic = topic_resolve(first.topic_name, org)
        latest = options.clock.sync()
        if first.replay_preset == pb.ReplayPreset.CUSTOM:
            position = position_after(first.replay_id, org)
        elif first.replay_preset == pb.ReplayPreset.EARLIEST:
            position = position_earliest(org, latest)
        else:
            position = latest
        stream = _Stream(topic=topic, token=token, started=started, position=position,
                         outstanding=first.num_requested, keepalive_seconds=max(1, org.pubsub_keepalive_seconds))
        client_open = True
        while context.is_active() and not options.stopping.is_set():
            now = time.monotonic()
            if now - stream.last_control >= options.control_seconds:
                self._control(stream)
            latest = options.clock.latest
            if stream.outstanding > 0 and latest > stream.position:
                limit = min(stream.outstanding, MAX_BATCH)
                batch = events_after(stream.position, upto=latest, entities=list(stream.topic.entities),
                                     limit=limit)
                if batch:
                    self._control(stream)  # an expired session or a dropped stream gets nothing more
                    yield self._response(batch, stream, org_get(), rpc_id, latest if len(batch) < limit else None)
                    continue
                stream.position = latest  # nothing of this topic up to `latest`
            if now - stream.last_sent >= stream.keepalive_seconds:
                stream.last_sent = now
                yield pb.FetchResponse(latest_replay_id=replay_id_encode(stream.position, org.org_id), rpc_id=rpc_id,
                                       pending_num_requested=stream.outstanding)
                continue
            if client_open:
                client_open = self._take_requests(inbox, stream, options.poll_seconds)
            else:
                time.sleep(options.poll_seconds)
        if options.stopping.is_set() and context.is_active():
            raise PubSubError(grpc.StatusCode.UNAVAILABLE, "The server is shutting down; subscribe again.")

    def _first_request(self, inbox: queue.Queue, context, token: SfToken, started: datetime):
        """Wait for the client's first FetchRequest, still enforcing the session and fault switches."""
        last_control = time.monotonic()
        while context.is_active() and not self.options.stopping.is_set():
            try:
                request = inbox.get(timeout=self.options.poll_seconds * 5)
            except queue.Empty:
                if time.monotonic() - last_control >= self.options.control_seconds:
                    last_control = time.monotonic()
                    self._control_session(token, started)
                continue
            return None if request is END else request
        return None

    def _take_requests(self, inbox: queue.Queue, stream: _Stream, timeout: float) -> bool:
        """Add every waiting FetchRequest's num_requested (waiting up to ``timeout`` for one);
        False once the client has closed its side."""
        try:
            request = inbox.get(timeout=timeout)
        except queue.Empty:
            return True
        while True:
            if request is END:
                return False
            if request.topic_name and request.topic_name != stream.topic.name:
                raise fetch_invalid(f"This stream subscribes to {stream.topic.name}; a FetchRequest named "
                                    f"{request.topic_name[:200]}.")
            if request.num_requested < 0:
                raise fetch_invalid("num_requested must not be negative.")
            stream.outstanding += request.num_requested
            try:
                request = inbox.get_nowait()
            except queue.Empty:
                return True

    def _control_session(self, token: SfToken, started: datetime) -> SfOrg:
        org = org_get()
        if org.pubsub_streams_dropped_at is not None and org.pubsub_streams_dropped_at >= started:
            raise PubSubError(grpc.StatusCode.UNAVAILABLE, "The stream was closed by the server; subscribe again.")
        if session_valid(token.token) is None:
            raise auth_error("Session expired or invalid (accesstoken).")
        return org

    def _control(self, stream: _Stream) -> None:
        org = self._control_session(stream.token, stream.started)
        # Change Data Capture may have been turned off for its entity (or one of /data/ChangeEvents').
        stream.topic = topic_resolve(stream.topic.name, org)
        stream.keepalive_seconds = max(1, org.pubsub_keepalive_seconds)
        stream.last_control = time.monotonic()

    def _response(self, batch: list[SfChangeEvent], stream: _Stream, org: SfOrg, rpc_id: str,
                  covered: int | None) -> pb.FetchResponse:
        """``covered``: the position up to which the batch holds every event of the topic (None: maybe not)."""
        events = []
        for event in batch:
            schema = event_schema(event.entity, org.multi_currency)
            events.append(pb.ConsumerEvent(
                event=pb.ProducerEvent(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfsim:{org.org_id}:{event.pk}")),
                                       schema_id=schema.schema_id, payload=event_encode(event, schema)),
                replay_id=replay_id_encode(event.bus_seq, org.org_id)))
        stream.outstanding -= len(batch)
        stream.position = batch[-1].bus_seq if covered is None else covered
        stream.last_sent = time.monotonic()
        return pb.FetchResponse(events=events, latest_replay_id=replay_id_encode(stream.position, org.org_id),
                                rpc_id=rpc_id, pending_num_requested=stream.outstanding)


def _unimplemented(method: str) -> PubSubError:
    return PubSubError(grpc.StatusCode.UNIMPLEMENTED,
                       f"{method} is not implemented by the Salesforce simulator: it serves GetTopic, GetSchema and "
                       "Subscribe for Change Data Capture events.")

"""The simulator's Pub/Sub server in this test process (real gRPC on a free port) and a Subscribe
client driven from the test: a real session from the simulator's token endpoint, real metadata."""
from __future__ import annotations

import io
import json
import queue
import threading
from dataclasses import dataclass, field

import fastavro
import grpc
import pytest
import requests
from django.db import connections

from integrations.sandbox.salesforce.org import org_get
from integrations.sandbox.salesforce.pubsub.server import PubSubConfig, PubSubServer
from pubsub_wire import pubsub_api_pb2 as pb
from pubsub_wire import pubsub_api_pb2_grpc as pb_grpc
from tests.sandbox.salesforce.fixtures import CONSUMER_KEY, CONSUMER_SECRET

WAIT = 10.0


def session_new(sf_root: str) -> dict:
    """A real session: the client-credentials grant over HTTP."""
    response = requests.post(f"{sf_root}/services/oauth2/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": CONSUMER_KEY, "client_secret": CONSUMER_SECRET})
    assert response.status_code == 200, response.text
    return response.json()


def metadata_for(session: dict, **override) -> list[tuple[str, str]]:
    values = {"accesstoken": session["access_token"], "instanceurl": session["instance_url"],
              "tenantid": org_get().org_id, **override}
    return [(k, v) for k, v in values.items() if v is not None]


def shared_sqlite_initializer():
    """Server threads use the test's in-memory SQLite connection, as the live server's do
    (another connection would not see the test's data); on PostgreSQL each has its own."""
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for conn in shared.values():
        conn.inc_thread_sharing()

    def init():
        for alias, conn in shared.items():
            connections[alias] = conn

    def release():
        for conn in shared.values():
            conn.dec_thread_sharing()

    return init, release


def decode(schema_json: str, payload: bytes) -> dict:
    return fastavro.schemaless_reader(io.BytesIO(payload), fastavro.parse_schema(json.loads(schema_json)))


@dataclass
class Subscription:
    """One Subscribe call: requests go in from the test, responses come out on a queue."""

    call: grpc.Call
    requests: queue.Queue
    responses: queue.Queue = field(default_factory=queue.Queue)
    error: grpc.RpcError | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def fetch(self, **fields) -> None:
        self.requests.put(pb.FetchRequest(**fields))

    def next(self, timeout: float = WAIT) -> pb.FetchResponse:
        try:
            return self.responses.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no FetchResponse within {timeout} s (error: {self.error})") from None

    def events(self, count: int, timeout: float = WAIT) -> list:
        """The next ``count`` events, skipping keepalives."""
        got = []
        while len(got) < count:
            got.extend(self.next(timeout).events)
        return got

    def failure(self, timeout: float = WAIT) -> grpc.RpcError:
        assert self.done.wait(timeout), "the stream did not end"
        assert self.error is not None, "the stream ended without an error"
        return self.error

    def close(self) -> None:
        self.call.cancel()
        self.requests.put(None)


class PubSub:
    def __init__(self, server: PubSubServer, sf_root: str):
        self.server, self.sf_root = server, sf_root
        self.channel = grpc.insecure_channel(server.address)
        self.stub = pb_grpc.PubSubStub(self.channel)
        self.session = session_new(sf_root)
        self.subscriptions: list[Subscription] = []

    def metadata(self, **override):
        return metadata_for(self.session, **override)

    def subscribe(self, *, metadata=None, **first) -> Subscription:
        outbox: queue.Queue = queue.Queue()
        call = self.stub.Subscribe(iter(outbox.get, None), metadata=metadata or self.metadata())
        sub = Subscription(call=call, requests=outbox)
        if first:
            sub.fetch(**first)

        def read():
            try:
                for response in call:
                    sub.responses.put(response)
            except grpc.RpcError as exc:
                sub.error = exc
            finally:
                sub.done.set()

        threading.Thread(target=read, daemon=True).start()
        self.subscriptions.append(sub)
        return sub

    def close(self):
        for sub in self.subscriptions:
            sub.close()
        self.channel.close()


def trailer(error: grpc.RpcError, key: str) -> str:
    return dict(error.trailing_metadata() or ()).get(key, "")


@pytest.fixture
def pubsub(sf_app, sf_root):
    init, release = shared_sqlite_initializer()
    server = PubSubServer(PubSubConfig(port=0, poll_seconds=0.02, control_seconds=0.1, instance_roots=(),
                                       thread_initializer=init))
    server.start()
    harness = PubSub(server, sf_root)
    try:
        yield harness
    finally:
        harness.close()
        server.stop(grace=1)
        release()

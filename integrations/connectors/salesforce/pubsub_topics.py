"""Whether a Pub/Sub API topic can be subscribed to: ``GetTopic`` on one channel, e.g.
``/data/OpportunityChangeEvent``. An entity without Change Data Capture enabled has no such
topic (the server answers NOT_FOUND or PERMISSION_DENIED). Read-only; used by the checks.

Where Pub/Sub is: ``connection.settings["pubsub_endpoint"]`` ("host:port", default Salesforce's
api.pubsub.salesforce.com:7443) and ``["pubsub_tls"]`` (default true). The call carries the
session as Salesforce asks: metadata ``accesstoken``, ``instanceurl`` and ``tenantid`` (the org id).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import grpc

from integrations.models import Connection
from pubsub_wire import pubsub_api_pb2, pubsub_api_pb2_grpc

DEFAULT_ENDPOINT = "api.pubsub.salesforce.com:7443"
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class TopicAnswer:
    ok: bool
    code: str  # the gRPC status name ("OK", "NOT_FOUND", "PERMISSION_DENIED", "UNAVAILABLE", …)
    detail: str = ""
    can_subscribe: bool = False


def change_event_channel(entity: str) -> str:
    """/data/<Entity>ChangeEvent; a custom object Foo__c has /data/Foo__ChangeEvent."""
    name = entity[:-1] if entity.endswith("__c") else entity
    return f"/data/{name}ChangeEvent"


def org_id_of(connection: Connection) -> str:
    """The org id: the identity URL ends with /id/<org id>/<user id> (on a real org and on the simulator)."""
    parts = urlsplit((connection.settings or {}).get("identity_url", "")).path.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 3 and parts[-3] == "id" else ""


def pubsub_channel(connection: Connection) -> grpc.Channel:
    settings = connection.settings or {}
    endpoint = settings.get("pubsub_endpoint") or DEFAULT_ENDPOINT
    if settings.get("pubsub_tls", True):
        return grpc.secure_channel(endpoint, grpc.ssl_channel_credentials())
    return grpc.insecure_channel(endpoint)


def topic_get(*, connection: Connection, topic_name: str) -> TopicAnswer:
    metadata = (("accesstoken", connection.get_secret("access_token") or ""),
                ("instanceurl", (connection.settings or {}).get("instance_url") or connection.base_url),
                ("tenantid", org_id_of(connection)))
    with pubsub_channel(connection) as channel:
        stub = pubsub_api_pb2_grpc.PubSubStub(channel)
        try:
            info = stub.GetTopic(pubsub_api_pb2.TopicRequest(topic_name=topic_name), metadata=metadata,
                                 timeout=TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            return TopicAnswer(False, exc.code().name, exc.details() or "")
    return TopicAnswer(True, "OK", can_subscribe=bool(info.can_subscribe))


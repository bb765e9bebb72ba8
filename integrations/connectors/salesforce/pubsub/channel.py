"""The gRPC channel to the Pub/Sub API and the auth metadata every call carries."""
from __future__ import annotations

import grpc

from integrations.models import Connection
from pubsub_wire import pubsub_api_pb2_grpc

# Salesforce's global endpoint (forcedotcom/pub-sub-api samples); a connection may name another
# (the demo points at the simulator's port).
DEFAULT_ENDPOINT = "api.pubsub.salesforce.com:7443"
# Events carry whole records: allow more than gRPC's 4 MB default per message.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024


def pubsub_target(connection: Connection) -> tuple[str, bool]:
    """(host:port, TLS?) for this connection: settings ``pubsub_endpoint`` and ``pubsub_tls``."""
    endpoint = str(connection.settings.get("pubsub_endpoint") or DEFAULT_ENDPOINT)
    return endpoint, bool(connection.settings.get("pubsub_tls", True))


def pubsub_channel_open(connection: Connection) -> grpc.Channel:
    endpoint, tls = pubsub_target(connection)
    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
               # The server's keepalive batches come at most every 270 s; pings keep NATs from
               # dropping an idle stream silently before that.
               ("grpc.keepalive_time_ms", 60_000), ("grpc.keepalive_timeout_ms", 20_000)]
    if tls:
        return grpc.secure_channel(endpoint, grpc.ssl_channel_credentials(), options=options)
    return grpc.insecure_channel(endpoint, options=options)


def pubsub_stub(channel: grpc.Channel) -> pubsub_api_pb2_grpc.PubSubStub:
    return pubsub_api_pb2_grpc.PubSubStub(channel)


def org_id_of(connection: Connection) -> str:
    """The org id, from the identity URL ``https://login…/id/<orgId>/<userId>`` (the part after
    ``id``; a root with a path of its own, like the simulator's, comes before it)."""
    identity = str(connection.settings.get("identity_url") or "")
    parts = identity.split("://", 1)[-1].rstrip("/").split("/")
    return parts[-2] if len(parts) >= 4 and parts[-3] == "id" else ""


def auth_metadata(connection: Connection) -> tuple[tuple[str, str], ...]:
    """``accesstoken``, ``instanceurl``, ``tenantid``: what the Pub/Sub API authenticates a call by."""
    instance = str(connection.settings.get("instance_url") or connection.base_url or "").rstrip("/")
    return (("accesstoken", connection.get_secret("access_token") or ""), ("instanceurl", instance),
            ("tenantid", org_id_of(connection)))

"""How the Pub/Sub API refuses: a gRPC status, a message ending in "rpcId: <id>", and the trailers
`error-code` (Salesforce's custom code) and `rpc-id` (Handle Errors, Pub/Sub API guide)."""
from __future__ import annotations

import grpc

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
REPLAY_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
# Unconfirmed in our reference: the status and error code Salesforce gives for a topic that does
# not exist or whose entity has no Change Data Capture selected. One place to change them.
TOPIC_NOT_FOUND_STATUS = grpc.StatusCode.NOT_FOUND
TOPIC_NOT_FOUND = "sfdc.platform.eventbus.grpc.topic.not.found"
# Unconfirmed as well: the codes for a bad FetchRequest and an unknown schema id.
FETCH_INVALID = "sfdc.platform.eventbus.grpc.subscription.fetch.invalid.request"
SCHEMA_NOT_FOUND = "sfdc.platform.eventbus.grpc.schema.not.found"


class PubSubError(Exception):
    def __init__(self, status: grpc.StatusCode, message: str, error_code: str = ""):
        super().__init__(message)
        self.status, self.message, self.error_code = status, message, error_code


def auth_error(message: str) -> PubSubError:
    return PubSubError(grpc.StatusCode.UNAUTHENTICATED, message, AUTH_ERROR)


def replay_corrupted(message: str) -> PubSubError:
    return PubSubError(grpc.StatusCode.INVALID_ARGUMENT, message, REPLAY_CORRUPTED)


def fetch_invalid(message: str) -> PubSubError:
    return PubSubError(grpc.StatusCode.INVALID_ARGUMENT, message, FETCH_INVALID)


def error_abort(context: grpc.ServicerContext, exc: PubSubError, rpc_id: str):
    """End the RPC with ``exc`` (raises, as grpc's abort does)."""
    trailers = [("rpc-id", rpc_id)]
    if exc.error_code:
        trailers.insert(0, ("error-code", exc.error_code))
    context.set_trailing_metadata(tuple(trailers))
    context.abort(exc.status, f"{exc.message} rpcId: {rpc_id}")

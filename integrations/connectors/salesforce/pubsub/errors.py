"""What a Pub/Sub API error means for the subscriber: the server names it in the trailing
metadata ``error-code`` (forcedotcom/pub-sub-api), next to the gRPC status."""
from __future__ import annotations

import grpc

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
REPLAY_ID_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"


def error_code(exc: grpc.RpcError) -> str:
    trailing = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == "error-code":
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


def is_auth_error(exc: grpc.RpcError) -> bool:
    return error_code(exc) == AUTH_ERROR or exc.code() == grpc.StatusCode.UNAUTHENTICATED


def is_replay_id_invalid(exc: grpc.RpcError) -> bool:
    """The stored replay id is past retention (72 h) or not one the server knows."""
    return error_code(exc) == REPLAY_ID_CORRUPTED


def error_sentence(exc: grpc.RpcError) -> str:
    code = error_code(exc)
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return f"{exc.code().name}{f' ({code})' if code else ''}: {details or ''}"[:500]

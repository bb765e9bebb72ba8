"""What a system's webhook receiver is: verify a delivery, parse it into events, or answer a
handshake. Plain code over a ``Delivery`` (headers and exact body bytes); the one DRF view
(integrations/triggers/webhooks/) enforces size limits, stores the events before answering
and queues their routing.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


class WebhookRejected(Exception):
    """Bad input: answered with ``status_code`` and ``detail``; nothing is stored."""

    def __init__(self, detail: str, status_code: int = 400):
        super().__init__(detail)
        self.detail, self.status_code = detail, status_code


@dataclass
class ParsedEvent:
    dedupe_key: str
    event_type: str
    object_type: str = ""
    object_id: str = ""
    action: str = "upsert"  # upsert | delete
    payload: dict = field(default_factory=dict)
    routable: bool = True  # False: stored and ignored (unknown events, pings, echoes)
    ignored_because: str = ""  # what finance reads on an event stored but not routed


@dataclass
class Delivery:
    """One POST as a receiver sees it. ``parsed`` keeps what a hook already parsed (a delivery may
    be checked twice: against a cached connection, then a fresh one)."""

    headers: Mapping[str, str]
    body: bytes
    parsed: dict = field(default_factory=dict)


@dataclass
class Handshake:
    """A verification or ping request, answered 200 with ``answer`` instead of being stored as a delivery.

    ``event`` (if any) is stored, not routed, with ``signature_valid``; ``then`` runs after it is stored.
    """

    answer: dict
    event: ParsedEvent | None = None
    signature_valid: bool = False
    then: Callable[[], None] | None = None


class Receiver:
    #: the status a stored delivery is answered with
    accepted_status: int = 200

    def handshake(self, delivery: Delivery, connection) -> Handshake | None:
        """Answer a verification/ping request directly, or None."""
        return None

    def verify(self, delivery: Delivery, connection) -> None:
        """Raise WebhookRejected unless the delivery is signed by this connection's sender."""
        raise NotImplementedError

    def parse(self, delivery: Delivery, connection) -> list[ParsedEvent]:
        raise NotImplementedError

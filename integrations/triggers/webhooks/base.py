"""The one webhook view: verify → store → route → 2xx, for every system.

The system's receiver (its connector's ``receiver``, connectors/<system>/receiver.py) supplies
the signature check and the parsing into ParsedEvent rows; this view enforces the body size
limit, answers with clear 4xx for bad input, stores each event (deduped) before answering,
and queues its routing. Nothing
already accepted is lost: the 2xx goes out only once the event row is committed, and a
worker routes it to the flows that read that object (integrations.triggers.intake).
"""
from __future__ import annotations

import logging
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.connectors.receiving import (
    Delivery,
    Handshake,
    ParsedEvent,
    Receiver,
    WebhookRejected,
    json_problem,
    text_problem,
)
from integrations.connectors.registry import CONNECTORS
from integrations.sync.routing import inbound_events_dispatch
from integrations.triggers.intake import inbound_event_store, parsed_events_store
from integrations.models import InboundEvent
from integrations.triggers.webhooks.connections import webhook_connection
from integrations.triggers.webhooks.database import writes_checking_connection_by_use
from integrations.triggers.webhooks.rejections import (
    webhook_rejection_admit,
    webhook_rejection_count,
    webhook_rejection_retry_after,
)

logger = logging.getLogger(__name__)

# Headers never stored with an event (credentials).
SECRET_HEADERS = {"authorization", "cookie", "x-ledgerlink-signature", "proxy-authorization"}


class JSONAnswers(BaseContentNegotiation):
    """Senders read JSON and send what they send: nothing to negotiate (DRF's own recipe for
    ignoring the client's Accept header), and the general negotiation is a measurable share of
    a delivery's cost."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class RawBodyParser(BaseParser):
    """Receivers read request.body themselves (signatures are over the exact bytes)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream else b""


@method_decorator(csrf_exempt, name="dispatch")
class WebhookReceiver(APIView):
    system: str = ""  # set per URL (urls.py): the connector whose receiver reads the delivery
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONAnswers
    http_method_names = ["post", "options"]

    @extend_schema(
        request={"*/*": OpenApiTypes.BINARY},
        responses={
            200: inline_serializer("WebhookAccepted", {"received": serializers.IntegerField(),
                                                       "new": serializers.IntegerField()}),
            400: inline_serializer("WebhookError", {"error": serializers.CharField()}),
            401: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT,
        },
        description="Signed deliveries are stored (deduplicated) before this answers; the body is verified "
                    "over its exact bytes.",
    )
    def post(self, request, connection_id: int):
        # Django's own request from here on: each attribute read through DRF's wrapper is a failed
        # lookup and a second one, several per delivery, for nothing a receiver needs.
        request = request._request
        connection, cached = webhook_connection(connection_id, self.system)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return self.reject(connection, WebhookRejected("The Content-Length header is not a whole number of bytes."))
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        if length > limit:
            return self.reject(connection, WebhookRejected(f"Body of {length} bytes exceeds the {limit}-byte limit.", 413))
        body = request.body
        if len(body) > limit:
            return self.reject(connection, WebhookRejected(f"Body exceeds the {limit}-byte limit.", 413))
        try:
            outcome = self.accept(request, connection, body)
        except WebhookRejected as exc:
            # Decide on a fresh copy: the cached one may predate a rotated secret or a new setting;
            # not once this endpoint is over its rejection limit (that answer touches no database).
            if not cached or webhook_rejection_retry_after(system=self.system, connection_id=connection.pk):
                return self.reject(connection, exc)
            connection, _ = webhook_connection(connection_id, self.system, fresh=True)
            try:
                outcome = self.accept(request, connection, body)
            except WebhookRejected as exc:
                return self.reject(connection, exc)
        if isinstance(outcome, Handshake):
            try:
                return self.handshake_answer(connection, outcome)
            except WebhookRejected as exc:
                return self.reject(connection, exc)
        problem = self.unstorable(request, outcome)
        if problem:
            return self.reject(connection, WebhookRejected(problem))
        try:
            stored = self.store(request, connection, body, outcome)
        except IntegrityError:
            if not cached:
                raise
            webhook_connection(connection_id, self.system, fresh=True)  # deleted meanwhile: 404
            raise
        return Response({"received": len(outcome), "new": stored}, status=self.receiver.accepted_status)

    @property
    def receiver(self) -> Receiver:
        return CONNECTORS[self.system].receiver()

    def accept(self, request, connection, body: bytes) -> Handshake | list[ParsedEvent]:
        """The handshake to answer, or the verified delivery's parsed events."""
        if not hasattr(request, "_delivery"):  # one per request: a retry on a fresh connection reuses its parsing
            request._delivery = Delivery(headers=request.headers, body=body)
        receiver, delivery = self.receiver, request._delivery
        early = receiver.handshake(delivery, connection)
        if early is not None:
            return early
        receiver.verify(delivery, connection)
        return receiver.parse(delivery, connection)

    def handshake_answer(self, connection, handshake: Handshake) -> Response:
        """Run what the handshake asks and store its own event (not routed), together or not at
        all (``then`` may still refuse it with WebhookRejected); answer 200."""
        event = handshake.event
        with transaction.atomic():
            if handshake.then is not None:
                handshake.then()
            if event is not None:
                inbound_event_store(connection=connection, dedupe_key=event.dedupe_key, event_type=event.event_type,
                                    object_type=event.object_type, object_id=event.object_id, payload=event.payload,
                                    signature_valid=handshake.signature_valid, routable=False,
                                    detail=event.ignored_because)
        return Response(handshake.answer)

    @staticmethod
    def unstorable(request, events: list[ParsedEvent]) -> str | None:
        """What in a verified delivery the database cannot store as it is (a receiver checks what
        it parses; this covers the headers and ids too), as a sentence; None when all is storable."""
        for name, value in request.headers.items():
            problem = text_problem(name) or text_problem(value)
            if problem:
                return f"A request header cannot be stored: {problem}"
        for parsed in events:
            problem = (text_problem(parsed.dedupe_key) or text_problem(str(parsed.object_id))
                       or text_problem(parsed.event_type) or json_problem(parsed.payload))
            if problem:
                return f"The delivery cannot be stored: {problem}"
        return None

    def store(self, request, connection, body: bytes, events: list[ParsedEvent]) -> int:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS}
        text = body.decode("utf-8", errors="replace")

        def write(retried: bool) -> int:
            # A delivery's events are stored all or none; one event is a single autocommitted INSERT.
            with transaction.atomic() if len(events) > 1 else nullcontext():
                new, to_route = parsed_events_store(connection=connection, events=events, headers=headers,
                                                    body=text if len(events) == 1 else "")
            # Only once the events are committed: see inbound_events_dispatch. After a retry on a
            # fresh connection the first INSERT may have committed unseen (its events then count
            # as repeats): routing is made sure of all the same.
            if to_route or retried:
                inbound_events_dispatch(connection_id=connection.pk)
            return new
        return writes_checking_connection_by_use(connections[router.db_for_write(InboundEvent)], write)

    def reject(self, connection, exc: WebhookRejected) -> Response:
        """Answer a rejected delivery. Counted on its own row (no lock on the connection row);
        past the endpoint's limit per minute, answered 429 with nothing written or logged."""
        retry_after = webhook_rejection_admit(system=self.system, connection_id=connection.pk)
        if retry_after is not None:
            return Response({"error": f"Too many rejected deliveries for this connection in the last minute "
                                      f"(this one: {exc.detail}) Try again in {retry_after} s."},
                            status=429, headers={"Retry-After": str(retry_after)})
        logger.warning("Rejected %s webhook for connection %s: %s", self.system, connection.pk, exc.detail)
        webhook_rejection_count(connection_id=connection.pk, kind="signature" if exc.status_code == 401 else "other",
                                detail=exc.detail)
        return Response({"error": exc.detail}, status=exc.status_code)


__all__ = ["WebhookReceiver"]

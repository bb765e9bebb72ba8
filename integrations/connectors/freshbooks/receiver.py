"""FreshBooks callbacks (POST /api/webhooks/freshbooks/<connection_id>/).

Form-encoded bodies (reference §4.2–4.3). A `callback.verify` POST carries the verifier and
nothing that proves who sent it, so it is taken only for a callback this connection
registered that awaits verification (never for a verified one), a few per callback at most;
it is kept encrypted as a candidate, a worker offers it to FreshBooks (PUT verify) after
commit, and only a verifier FreshBooks accepts becomes a signing key. Every other delivery
must carry a valid X-FreshBooks-Hmac-SHA256 made with one of the connection's verifiers; it
is stored and routed (events are hints: flows fetch the record fresh).

There is no delivery id, so a delivery is deduplicated on (account, event, object) within a
short window (connection.settings["webhook_dedupe_seconds"], default 10): FreshBooks'
repeats of one delivery collapse, later changes to the same record still arrive.
"""
from __future__ import annotations

import hashlib
import time

from integrations.connectors.freshbooks.services import (
    VerifierRefused,
    freshbooks_callback_verifier_offer,
    freshbooks_verifier_refusal,
    freshbooks_verifiers,
)
from integrations.connectors.freshbooks.webhooks import (
    SIGNATURE_HEADER,
    form_params,
    signature_valid,
)
from integrations.connectors.receiving import (
    Delivery,
    Handshake,
    ParsedEvent,
    Receiver,
    WebhookRejected,
    text_problem,
)

ROUTABLE_VERBS = {"create", "update", "delete"}


class FreshBooksReceiver(Receiver):
    def _params(self, delivery: Delivery, connection) -> dict:
        if "params" not in delivery.parsed:
            try:
                pairs = form_params(delivery.body)
            except (UnicodeDecodeError, ValueError):
                raise WebhookRejected("The body is not form-encoded FreshBooks callback data.") from None
            problem = next((p for pair in pairs for p in map(text_problem, pair) if p), None)
            if problem:
                raise WebhookRejected(f"A form field cannot be stored: {problem}")
            delivery.parsed.update(pairs=pairs, params=dict(pairs))
        params = delivery.parsed["params"]
        if not params.get("name") or not params.get("object_id"):
            raise WebhookRejected("The callback is missing 'name' or 'object_id'.")
        expected = connection.settings.get("account_id")
        if expected and params.get("account_id") != expected:
            raise WebhookRejected(f"The callback is for FreshBooks account {str(params.get('account_id'))[:40]!r}, "
                                  f"not this connection's account {expected!r}.", 400)
        return params

    def handshake(self, delivery: Delivery, connection) -> Handshake | None:
        params = self._params(delivery, connection)
        if params["name"] != "callback.verify":
            return None
        verifier = params.get("verifier", "")
        if len(verifier) < 10:
            raise WebhookRejected("The verification request carries no usable verifier.")
        signature = delivery.headers.get(SIGNATURE_HEADER, "")
        if signature and not signature_valid(verifier, delivery.parsed["pairs"], signature):
            raise WebhookRejected("The verification request's signature does not match its verifier.", 401)
        callback_id = params["object_id"]
        refusal = freshbooks_verifier_refusal(connection=connection, callback_id=callback_id, verifier=verifier)
        if refusal is not None:
            raise WebhookRejected(*refusal)
        redacted = {k: ("***" if k == "verifier" else v) for k, v in params.items()}

        def offer() -> None:
            try:
                freshbooks_callback_verifier_offer(connection=connection, callback_id=callback_id, verifier=verifier)
            except VerifierRefused as exc:  # taken meanwhile by a concurrent request
                raise WebhookRejected(exc.detail, exc.status) from None

        return Handshake(
            answer={"verified": "pending", "callback": callback_id},
            event=ParsedEvent(dedupe_key=f"verify:{callback_id}:{_fingerprint(verifier)}", event_type="callback.verify",
                              object_type="callback", object_id=callback_id, payload=redacted, routable=False,
                              ignored_because="Callback verification request (handled, not a change to sync)."),
            signature_valid=bool(signature),
            then=offer,
        )

    def verify(self, delivery: Delivery, connection) -> None:
        signature = delivery.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            raise WebhookRejected(f"Missing {SIGNATURE_HEADER} header.", 401)
        pairs = delivery.parsed["pairs"]
        if not any(signature_valid(verifier, pairs, signature) for verifier in freshbooks_verifiers(connection=connection)):
            raise WebhookRejected("The signature does not match any verifier of this connection's callbacks.", 401)

    def parse(self, delivery: Delivery, connection) -> list[ParsedEvent]:
        params = delivery.parsed["params"]
        name = params["name"]
        object_type, _, verb = name.partition(".")
        window = int(connection.settings.get("webhook_dedupe_seconds", 10)) or 1
        bucket = int(time.time() // window)
        return [ParsedEvent(
            dedupe_key=f"{params.get('account_id')}:{name}:{params['object_id']}:{bucket}", event_type=name,
            object_type=object_type, object_id=params["object_id"], action="delete" if verb == "delete" else "upsert",
            payload=params, routable=verb in ROUTABLE_VERBS, route_repeats=True,
            ignored_because="" if verb in ROUTABLE_VERBS else f"FreshBooks event '{name}' is not a create, update "
                                                              "or delete: stored, nothing to sync.",
        )]


def _fingerprint(secret: str) -> str:
    """Tells verification requests apart without storing any part of the verifier in clear."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]

"""Business actions on a FreshBooks connection: connect, identify, test, and keep its webhook
callbacks registered and verified. Admin actions, views, tasks and the demo step call these.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.connectors.base import TokenSet, connection_tokens_store
from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.oauth import business_choose
from integrations.errors import AuthError, FatalError
from integrations.models import Connection

logger = logging.getLogger(__name__)
# Parent events: one callback per object gets its create, update and delete events.
DEFAULT_WEBHOOK_EVENTS = ["client", "invoice", "payment", "expense"]
# Secrets: "webhook_verifiers" {callback id: verifier} holds only verifiers FreshBooks accepted
# (the HMAC keys of deliveries); PENDING_KEY {callback id: [verifiers received]} the callbacks
# this connection registered that await verification, with what was received for each.
PENDING_KEY = "webhook_callbacks_pending"
# Distinct verifiers kept per awaiting callback until FreshBooks answers: the real one plus a
# few an unauthenticated sender may have sent first; more are refused (429), so what a stranger
# can write is bounded by registered callbacks × this.
MAX_VERIFIER_CANDIDATES = 3
# When new callbacks are looked at again (see _callbacks_recheck_later).
VERIFY_RECHECK_SECONDS = 120


def freshbooks_webhook_url(*, connection: Connection) -> str:
    path = reverse("webhooks-freshbooks", args=[connection.pk])
    return connection.settings.get("webhook_url") or f"{settings.LEDGERLINK_PUBLIC_URL}{path}"


def freshbooks_connection_identify(*, connection: Connection) -> dict:
    """Read who we are signed in as and which business we work in; saved on the connection."""
    identity = FreshBooksClient(connection).identity()
    chosen = business_choose(identity, account_id=connection.settings.get("account_id", ""))
    connection.settings = {**connection.settings, **chosen, "identity_email": identity.get("email", ""),
                           "businesses": [m["business"]["name"] for m in identity.get("business_memberships") or []]}
    connection.save(update_fields=["settings", "updated_at"])
    return chosen


def freshbooks_connection_connect(*, connection: Connection, tokens: TokenSet, redirect_uri: str) -> dict:
    """After the OAuth approval: store the tokens, choose the business, register webhooks."""
    connection.settings = {**connection.settings, "redirect_uri": redirect_uri}
    connection_tokens_store(connection=connection, tokens=tokens)
    chosen = freshbooks_connection_identify(connection=connection)
    freshbooks_callbacks_ensure_later(connection=connection)
    return chosen


def freshbooks_connection_test(*, connection: Connection) -> str:
    """A readable account of the connection: identity, business, and one sample call."""
    chosen = freshbooks_connection_identify(connection=connection)
    client = FreshBooksClient(connection)
    page = client.clients.list(per_page=1)
    sample = page.items[0].get("organization") if page.items else None
    verified = sum(1 for c in client.callbacks.iterate() if c.get("verified"))
    return (f"Connected to FreshBooks as {connection.settings.get('identity_email') or 'unknown user'}, business "
            f"“{chosen['name']}” (account {chosen['account_id']}, business id {chosen['business_id']}). "
            f"{page.total} client(s)" + (f", for example “{sample}”" if sample else "") +
            f"; {verified} verified webhook callback(s).")


def freshbooks_callbacks_ensure(*, connection: Connection) -> list[dict]:
    """Register each configured event at our receiver (once), and ask again for verification
    of the ones still unverified. Returns the callbacks at our URI.

    The callbacks found unverified are recorded as awaiting verification: only for those does
    the receiver accept an (unsigned) ``callback.verify``. Each new registration is recorded as
    soon as FreshBooks answers, so the verification request it sends finds it."""
    client = FreshBooksClient(connection)
    uri = freshbooks_webhook_url(connection=connection)
    ours = [c for c in client.callbacks.iterate() if c.get("uri") == uri]
    _callbacks_pending_record(connection=connection, callbacks=ours, prune=True)
    events = connection.settings.get("webhook_events") or DEFAULT_WEBHOOK_EVENTS
    have = {c["event"] for c in ours}
    for event in events:
        if event not in have:
            registered = client.callbacks.register(event, uri)
            _callbacks_pending_record(connection=connection, callbacks=[registered])
            ours.append(registered)
    if set(events) - have:
        _callbacks_recheck_later(connection=connection)
    for callback in ours:
        if not callback.get("verified") and callback["event"] in have:
            client.callbacks.resend_verification(callback["callbackid"])
    return ours


def _callbacks_pending_record(*, connection: Connection, callbacks: list[dict], prune: bool = False) -> None:
    """Mark the unverified ones among ``callbacks`` as awaiting verification. With ``prune``,
    ``callbacks`` is every callback of ours at FreshBooks: pending ids no longer there are dropped."""
    unverified = {str(c["callbackid"]) for c in callbacks if not c.get("verified")}
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        pending = dict(locked.get_secret(PENDING_KEY) or {})
        known = {str(c["callbackid"]) for c in callbacks}
        updated = {cid: v for cid, v in pending.items() if not prune or cid in known}
        updated.update({cid: updated.get(cid, []) for cid in unverified})
        if updated != pending:
            locked.set_secrets(**{PENDING_KEY: updated})
            locked.save(update_fields=["secrets_encrypted", "updated_at"])
    _secrets_take(connection, locked)


def _callbacks_recheck_later(*, connection: Connection) -> None:
    """Look at the callbacks again in VERIFY_RECHECK_SECONDS. FreshBooks sends a new callback's
    verification on its own, and it may arrive before the registration's answer reaches us —
    before the callback is recorded as ours, so the receiver refuses it — and FreshBooks does not
    send it again by itself. The second look asks for a resend of every callback still unverified."""
    from django_q.models import Schedule

    Schedule.objects.create(func="integrations.connectors.freshbooks.tasks.callbacks_ensure", args=repr(connection.pk),
                            name=f"freshbooks-callbacks-recheck-{connection.pk}-{timezone.now():%Y%m%d%H%M%S%f}",
                            schedule_type=Schedule.ONCE, repeats=1,
                            next_run=timezone.now() + timedelta(seconds=VERIFY_RECHECK_SECONDS))


def freshbooks_callbacks_ensure_later(*, connection: Connection) -> None:
    from django_q.tasks import async_task

    pk = connection.pk
    transaction.on_commit(lambda: async_task("integrations.connectors.freshbooks.tasks.callbacks_ensure", pk,
                                             task_name=f"freshbooks-callbacks-{pk}"))


def freshbooks_verifier_refusal(*, connection: Connection, callback_id: str, verifier: str) -> tuple[str, int] | None:
    """Why an unsigned ``callback.verify`` cannot be taken (a sentence and an HTTP status), or None.

    Anyone can send one, so it is taken only for a callback this connection registered and that
    awaits verification, and only a few distinct verifiers per callback: FreshBooks' answer to
    the confirming PUT decides which (if any) is real."""
    callback_id = str(callback_id)
    pending = connection.get_secret(PENDING_KEY) or {}
    if callback_id not in pending:
        if callback_id in (connection.get_secret("webhook_verifiers") or {}):
            return (f"FreshBooks callback {callback_id} is already verified; its verifier is not replaced "
                    "by a verification request.", 409)
        return (f"FreshBooks callback {callback_id} is not one this connection registered and is "
                "awaiting verification.", 400)
    candidates = pending[callback_id]
    if verifier not in candidates and len(candidates) >= MAX_VERIFIER_CANDIDATES:
        return (f"FreshBooks callback {callback_id} already has {len(candidates)} verifiers waiting for "
                "FreshBooks to confirm one; send it again later.", 429)
    return None


class VerifierRefused(Exception):
    def __init__(self, detail: str, status: int):
        super().__init__(detail)
        self.detail, self.status = detail, status


def freshbooks_callback_verifier_offer(*, connection: Connection, callback_id: str, verifier: str) -> None:
    """Keep a received verifier as a candidate (encrypted) until FreshBooks confirms it; the
    first candidate of a callback queues the one task that offers them to FreshBooks.
    Raises VerifierRefused when the callback does not take it (checked again under the lock)."""
    callback_id = str(callback_id)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        refusal = freshbooks_verifier_refusal(connection=locked, callback_id=callback_id, verifier=verifier)
        if refusal is not None:
            raise VerifierRefused(*refusal)
        pending = dict(locked.get_secret(PENDING_KEY))
        candidates = list(pending[callback_id])
        if verifier in candidates:
            return  # a repeat: its confirmation is already on its way
        pending[callback_id] = [*candidates, verifier]
        locked.set_secrets(**{PENDING_KEY: pending})
        locked.save(update_fields=["secrets_encrypted", "updated_at"])
    if not candidates:
        _callback_confirm_later(connection_id=connection.pk, callback_id=callback_id)


def _callback_confirm_later(*, connection_id: int, callback_id: str) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("integrations.connectors.freshbooks.tasks.callback_confirm",
                                             connection_id, callback_id))


def freshbooks_callback_confirm(*, connection: Connection, callback_id: str) -> dict:
    """Complete the handshake: offer FreshBooks each verifier received for the callback (PUT);
    the one it accepts becomes the callback's signing key, the ones it refuses are forgotten."""
    callback_id = str(callback_id)
    connection.refresh_from_db()
    candidates = list((connection.get_secret(PENDING_KEY) or {}).get(callback_id) or [])
    callbacks, refused = FreshBooksClient(connection).callbacks, []
    if not candidates:
        kept = (connection.get_secret("webhook_verifiers") or {}).get(callback_id)
        if kept:  # confirmed already (a repeated task): confirming again changes nothing
            return callbacks.verify(callback_id, kept)
        raise FatalError(f"No verifier was received for FreshBooks callback {callback_id}; ask FreshBooks to resend it.")
    for verifier in candidates:
        try:
            result = callbacks.verify(callback_id, verifier)
        except AuthError:
            raise  # not an answer about the verifier: keep the candidates for the retry
        except FatalError:
            refused.append(verifier)
            continue
        _verifier_keep(connection=connection, callback_id=callback_id, verifier=verifier)
        return result
    _candidates_forget(connection=connection, callback_id=callback_id, refused=refused)
    raise FatalError(f"FreshBooks refused the {len(refused)} verifier(s) received for callback {callback_id}; "
                     "none was kept. Ask FreshBooks to resend the verification.")


def _verifier_keep(*, connection: Connection, callback_id: str, verifier: str) -> None:
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        verifiers = dict(locked.get_secret("webhook_verifiers") or {})
        pending = dict(locked.get_secret(PENDING_KEY) or {})
        verifiers[callback_id] = verifier
        pending.pop(callback_id, None)
        locked.set_secrets(**{"webhook_verifiers": verifiers, PENDING_KEY: pending})
        locked.save(update_fields=["secrets_encrypted", "updated_at"])
    _secrets_take(connection, locked)


def _candidates_forget(*, connection: Connection, callback_id: str, refused: list[str]) -> None:
    """Drop the verifiers FreshBooks refused; ones that arrived meanwhile get a task of their own."""
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        pending = dict(locked.get_secret(PENDING_KEY) or {})
        if callback_id not in pending:
            return
        left = [v for v in pending[callback_id] if v not in refused]
        pending[callback_id] = left
        locked.set_secrets(**{PENDING_KEY: pending})
        locked.save(update_fields=["secrets_encrypted", "updated_at"])
        if left:
            _callback_confirm_later(connection_id=connection.pk, callback_id=callback_id)
    _secrets_take(connection, locked)


def _secrets_take(connection: Connection, locked: Connection) -> None:
    """The caller's copy gets the secrets just written (and keeps any other change it holds)."""
    connection.secrets_encrypted = locked.secrets_encrypted
    connection.__dict__.pop("_secrets_cache", None)


def freshbooks_verifiers(*, connection: Connection) -> list[str]:
    return list((connection.get_secret("webhook_verifiers") or {}).values())

"""Business actions on a FreshBooks connection: connect, identify, test, and keep its webhook
callbacks registered and verified. Admin actions, views, tasks and the demo step call these.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from integrations.connectors.base import TokenSet, connection_tokens_store
from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.oauth import business_choose
from integrations.errors import FatalError
from integrations.models import Connection

logger = logging.getLogger(__name__)
# Parent events: one callback per object gets its create, update and delete events.
DEFAULT_WEBHOOK_EVENTS = ["client", "invoice", "payment", "expense"]


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
    of the ones still unverified. Returns the callbacks at our URI."""
    client = FreshBooksClient(connection)
    uri = freshbooks_webhook_url(connection=connection)
    ours = [c for c in client.callbacks.iterate() if c.get("uri") == uri]
    events = connection.settings.get("webhook_events") or DEFAULT_WEBHOOK_EVENTS
    have = {c["event"] for c in ours}
    for event in events:
        if event not in have:
            ours.append(client.callbacks.register(event, uri))
    for callback in ours:
        if not callback.get("verified") and callback["event"] in have:
            client.callbacks.resend_verification(callback["callbackid"])
    return ours


def freshbooks_callbacks_ensure_later(*, connection: Connection) -> None:
    from django_q.tasks import async_task

    pk = connection.pk
    transaction.on_commit(lambda: async_task("integrations.connectors.freshbooks.tasks.callbacks_ensure", pk,
                                             task_name=f"freshbooks-callbacks-{pk}"))


def freshbooks_callback_verifier_store(*, connection: Connection, callback_id: str, verifier: str) -> None:
    """Keep the verifier (the HMAC key of every delivery) encrypted with the connection's secrets."""
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        verifiers = dict(locked.get_secret("webhook_verifiers") or {})
        verifiers[str(callback_id)] = verifier
        locked.set_secrets(webhook_verifiers=verifiers)
        locked.save(update_fields=["secrets_encrypted", "updated_at"])
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("integrations.connectors.freshbooks.tasks.callback_confirm",
                                             connection.pk, str(callback_id)))


def freshbooks_callback_confirm(*, connection: Connection, callback_id: str) -> dict:
    """Complete the handshake: PUT the stored verifier back to FreshBooks."""
    connection.refresh_from_db()
    verifier = (connection.get_secret("webhook_verifiers") or {}).get(str(callback_id))
    if not verifier:
        raise FatalError(f"No verifier was received for FreshBooks callback {callback_id}; ask FreshBooks to resend it.")
    return FreshBooksClient(connection).callbacks.verify(callback_id, verifier)


def freshbooks_verifiers(*, connection: Connection) -> list[str]:
    return list((connection.get_secret("webhook_verifiers") or {}).values())

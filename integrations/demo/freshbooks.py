"""Demo step (`make run`): a FreshBooks connection to the built-in simulator, fully connected.

Setup runs before the web server is up, so the step plays the OAuth approval on the
simulator's side (its token service issues the pair, as if the demo owner pressed Approve)
instead of over HTTP. The webhook callbacks are registered by a worker task once the
server answers; the simulator's delivery worker then completes the verification handshake.
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

from integrations.connectors.base import TokenSet, connection_tokens_store
from integrations.connectors.freshbooks.services import (
    freshbooks_callbacks_ensure_later,
)
from integrations.models import Connection

CONNECTION_NAME = "FreshBooks (sandbox)"
DRAIN_SCHEDULE = "sandbox: FreshBooks webhook deliveries (retries)"


def freshbooks_sandbox_connect(write: Callable[[str], None]) -> Connection:
    from django_q.models import Schedule

    from integrations.sandbox.freshbooks.models import SimToken
    from integrations.sandbox.freshbooks.seed import sandbox_app_register, sandbox_demo_seed
    from integrations.sandbox.freshbooks.views_auth import token_issue

    app, user, account = sandbox_demo_seed()
    root = f"{settings.LEDGERLINK_PUBLIC_URL}/sandbox/freshbooks/"
    # The demo app registers the redirect URI "Connect FreshBooks" uses (keeping any added by hand);
    # on an http:// demo URL it is a local sandbox app (real FreshBooks accepts https only).
    redirect_uri = f"{settings.LEDGERLINK_PUBLIC_URL}{reverse('social:complete', args=['freshbooks'])}"
    uris = app.redirect_uri_list()
    if redirect_uri not in uris:
        uris.append(redirect_uri)
    sandbox_app_register(app, redirect_uris=uris,
                         local_sandbox=app.local_sandbox or not redirect_uri.startswith("https://"))
    connection = Connection.objects.filter(name=CONNECTION_NAME).first() or Connection(name=CONNECTION_NAME)
    connection.system, connection.environment, connection.is_sandbox = "freshbooks", "sandbox", True
    connection.base_url = connection.auth_url = root
    connection.client_id = app.client_id
    connection.set_secrets(client_secret=app.client_secret)
    connection.settings = {
        **connection.settings, "account_id": account.account_id, "business_id": account.business_id,
        "business_uuid": str(account.business_uuid), "name": account.name, "role": "owner",
        "identity_email": user.email,
        "redirect_uri": redirect_uri,
    }
    connection.save()
    live = SimToken.objects.filter(refresh_token=connection.get_secret("refresh_token") or "-", app=app,
                                   refresh_used_at__isnull=True, revoked_at__isnull=True).exists()
    if not live:
        token = token_issue(app=app, user=user, scope=" ".join(settings.FRESHBOOKS_SCOPES))
        connection_tokens_store(connection=connection, tokens=TokenSet(
            access_token=token.access_token, refresh_token=token.refresh_token, expires_at=token.expires_at))
    Schedule.objects.update_or_create(name=DRAIN_SCHEDULE, defaults={
        "func": "integrations.sandbox.freshbooks.tasks.deliveries_drain", "schedule_type": Schedule.MINUTES,
        "minutes": 1, "repeats": -1})
    freshbooks_callbacks_ensure_later(connection=connection)
    write(f"FreshBooks sandbox: connection “{CONNECTION_NAME}” is connected to “{account.name}” "
          f"(account {account.account_id}); simulator at {root}")
    return connection

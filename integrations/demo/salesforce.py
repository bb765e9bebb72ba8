"""Demo step (``make run`` → ledgerlink_setup): a Salesforce connection to the built-in
simulator, fully connected. Change events reach Ledgerlink through the simulator's Pub/Sub API
(``pubsub_endpoint``, plaintext: ``pubsub_tls`` off), as from a real org; the HTTP relay to our
receiver (the option for senders that post: Apex or Flow HTTP callouts) is set up but off.

Idempotent: existing tokens are kept (an expired session is refreshed on first use)."""
from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from integrations.connectors.base import connection_tokens_store
from integrations.connectors.salesforce.oauth import (
    DEFAULT_SCOPE,
    token_set_from_response,
)
from integrations.connectors.salesforce.social import SalesforceSimulatorConnect
from integrations.models import Connection

DEMO_NAME = "Salesforce (sandbox)"
DEMO_CONSUMER_KEY = "ledgerlink-demo-connected-app"
DEMO_PRODUCTS = [("Consulting hour", "CONS-H", 150.0), ("Implementation package", "IMPL-P", 4800.0)]


def salesforce_sandbox_connect(write: Callable[[str], None]) -> None:
    from integrations.sandbox.salesforce import oauth as sim_oauth
    from integrations.sandbox.salesforce import services as sim
    from integrations.sandbox.salesforce.models import SfRecord
    from integrations.sandbox.salesforce.org import integration_user

    public = settings.LEDGERLINK_PUBLIC_URL
    root = f"{public}/sandbox/salesforce"
    callback = f"{public}/connect/complete/{SalesforceSimulatorConnect.name}/"
    pubsub_endpoint = f"{settings.SANDBOX_SALESFORCE_PUBSUB_HOST}:{settings.SANDBOX_SALESFORCE_PUBSUB_PORT}"
    with transaction.atomic():
        connection, _ = Connection.objects.get_or_create(
            name=DEMO_NAME, defaults=dict(system="salesforce", is_sandbox=True, base_url=root, auth_url=root,
                                          client_id=DEMO_CONSUMER_KEY, auth_kind=Connection.AuthKind.OAUTH2_CODE))
        app = sim.connected_app_ensure(consumer_key=connection.client_id,
                                       consumer_secret=connection.get_secret("client_secret", ""),
                                       redirect_uris=[callback], name="Ledgerlink demo")
        if not connection.get_secret("webhook_secret") or not connection.get_secret("client_secret"):
            connection.set_secrets(client_secret=app.consumer_secret,
                                   webhook_secret=connection.get_secret("webhook_secret") or secrets.token_urlsafe(32))
            connection.save()
        if not connection.get_secret("refresh_token"):
            # What the approval page + code exchange would do, in-process (the server is not up yet).
            code = sim_oauth.code_issue(app=app, user=integration_user(), redirect_uri=callback, challenge="",
                                        method="", scope=DEFAULT_SCOPE)
            body = sim_oauth.grant_authorization_code(
                {"code": code, "redirect_uri": callback, "client_id": app.consumer_key,
                 "client_secret": app.consumer_secret}, None, root)
            connection_tokens_store(connection=connection, tokens=token_set_from_response(connection=connection,
                                                                                         body=body))
        connection.settings = {**connection.settings, "pubsub_endpoint": pubsub_endpoint, "pubsub_tls": False}
        connection.save(update_fields=["settings", "updated_at"])
        sim.subscription_ensure(endpoint=f"{public}/api/webhooks/salesforce/{connection.pk}/",
                                secret=connection.get_secret("webhook_secret"), name="Ledgerlink", active=False)
        if not SfRecord.objects.filter(sobject="Product2").exists():
            for name, code, price in DEMO_PRODUCTS:
                sim.product_with_price_create(name=name, code=code, unit_price=price)
    _delivery_schedule_ensure()
    write(f"Salesforce simulator connected as '{DEMO_NAME}'; change events come through its Pub/Sub API at "
          f"{pubsub_endpoint} (the HTTP relay to /api/webhooks/salesforce/{connection.pk}/ is off). "
          f"Simulator pages: {root}/")


def _delivery_schedule_ensure() -> None:
    """Safety net for change-event delivery (each change also wakes the worker on commit)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="sandbox salesforce: deliver change events",
        defaults={"func": "integrations.sandbox.salesforce.tasks.sandbox_salesforce_deliver",
                  "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1})

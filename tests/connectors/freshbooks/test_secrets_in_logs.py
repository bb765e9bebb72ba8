"""A real connector run with every log level on: no secret reaches any log record."""
import logging

import pytest
from django.utils import timezone

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.models import Connection
from integrations.sandbox.freshbooks.models import SimApp

pytestmark = pytest.mark.django_db(transaction=True)
CANARY = "canary-client-secret-9d1e77"


def test_token_refresh_and_calls_log_no_secret(fb, caplog):
    SimApp.objects.filter(pk=fb.app.pk).update(client_secret=CANARY)
    connection = fb.connection()
    connection.set_secrets(client_secret=CANARY)
    connection.token_expires_at = timezone.now()  # expired: the next call refreshes (sends the client secret)
    connection.save()
    old_access, old_refresh = connection.get_secret("access_token"), connection.get_secret("refresh_token")
    caplog.set_level(logging.DEBUG)  # urllib3, requests, django, ours: everything
    client = FreshBooksClient(connection)
    try:
        client.clients.create({"organization": "Canary Test Co", "email": "ap@canary.test"})
        list(client.clients.iterate())
    finally:
        client.session.close()
    connection = Connection.objects.get(pk=connection.pk)
    new_access, new_refresh = connection.get_secret("access_token"), connection.get_secret("refresh_token")
    assert new_access != old_access, "the test must exercise a refresh"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "expected debug logging from the HTTP stack"
    for secret in (CANARY, old_access, old_refresh, new_access, new_refresh):
        assert secret not in logged

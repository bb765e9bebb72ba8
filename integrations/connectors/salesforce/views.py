"""Staff pages for a Salesforce connection: start "Connect Salesforce", and "Test connection"."""
from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from config.staff_views import staff_permission_required
from integrations.connectors.salesforce.services import salesforce_connection_check
from integrations.connectors.salesforce.social import SESSION_KEY, connect_backend_name
from integrations.models import Connection


def _connection(request, pk: int) -> Connection:
    return get_object_or_404(Connection, pk=pk, system="salesforce")


@staff_permission_required("integrations.connect_connection")
def connect_start(request, pk: int):
    connection = _connection(request, pk)
    request.session[SESSION_KEY] = connection.pk
    # social-auth starts only on POST (CSRF-protected), so this page hands over with a form.
    return render(request, "admin/integrations/salesforce_connect.html", {
        "connection": connection, "begin_url": reverse("social:begin", args=[connect_backend_name(connection)]),
        "title": f"Connect {connection.name} to Salesforce"})


@staff_permission_required("integrations.test_connection")
def connection_test(request, pk: int):
    connection = _connection(request, pk)
    return render(request, "admin/integrations/salesforce_test.html", {
        "connection": connection, "result": salesforce_connection_check(connection=connection),
        "title": f"Test connection: {connection.name}"})

"""Staff pages for a Salesforce connection: start "Connect Salesforce", "Test connection", and
"Prepare Salesforce" (a dry run listing what it will create; the confirm button creates it)."""
from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods
from django.urls import reverse

from config.staff_views import staff_permission_required
from integrations.connectors.salesforce.prepare import salesforce_prepare
from integrations.connectors.salesforce.services import salesforce_connection_check
from integrations.connectors.salesforce.social import SESSION_KEY, connect_backend_name
from integrations.errors import SyncError
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


@staff_permission_required("integrations.prepare_connection")
@require_http_methods(["GET", "POST"])
def prepare(request, pk: int):
    """GET: the dry run (what will be created). POST (the confirm button): create it."""
    connection = _connection(request, pk)
    apply = request.method == "POST"
    try:
        plan, error = salesforce_prepare(connection, dry_run=not apply), ""
    except SyncError as exc:
        plan, error = None, exc.message
    return render(request, "admin/integrations/salesforce_prepare.html", {
        "connection": connection, "plan": plan, "error": error, "applied": apply,
        "title": f"Prepare Salesforce: {connection.name}"})

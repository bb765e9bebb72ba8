"""Staff pages for FreshBooks connections (thin: the work is in services and social.py)."""
from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from social_core.actions import do_auth
from social_django.utils import load_backend, load_strategy

from config.staff_views import staff_permission_required
from integrations.connectors.freshbooks.oauth import auth_root, connection_scopes
from integrations.connectors.freshbooks.social import SESSION_KEY
from integrations.models import Connection


@staff_permission_required("integrations.connect_connection")
def connect_start(request, connection_id: int):
    """GET: what will happen; POST (with CSRF): remember the connection and go to FreshBooks."""
    connection = get_object_or_404(Connection, pk=connection_id, system="freshbooks")
    if request.method == "POST":
        request.session[SESSION_KEY] = connection.pk
        strategy = load_strategy(request)
        backend = load_backend(strategy, "freshbooks", redirect_uri=reverse("social:complete", args=["freshbooks"]))
        return do_auth(backend)
    context = {
        **admin.site.each_context(request), "title": "Connect FreshBooks", "connection": connection,
        "authorize_at": f"{auth_root(connection)}oauth/authorize", "scopes": connection_scopes(connection),
        "redirect_uri": request.build_absolute_uri(reverse("social:complete", args=["freshbooks"])),
        "ready": bool(connection.client_id and connection.get_secret("client_secret")),
        "opts": Connection._meta,
    }
    return TemplateResponse(request, "admin/integrations/freshbooks_connect.html", context)

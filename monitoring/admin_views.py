"""Admin pages of monitoring beyond the ModelAdmins' own: thin, each checks a named permission."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .alerts.defaults import alert_rules_defaults_ensure


@require_POST
def alert_rules_defaults_view(request):
    """*Create the default rules* on the empty alert-rule list (what the set-up does on every start)."""
    if not request.user.has_perm("monitoring.add_alertrule"):
        raise PermissionDenied
    created = alert_rules_defaults_ensure()
    messages.success(request, f"Created {len(created)} default alert rule(s): {', '.join(created)}." if created
                     else "The default alert rules exist already.")
    return redirect("admin:monitoring_alertrule_changelist")

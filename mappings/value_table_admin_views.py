"""Admin page of a value table's draft: the diff, the recent records that would map differently,
and *Publish* (Finance staff may, with the named permission ``mappings.publish_valuetable``).

Thin: reads the request, calls value_tables / value_table_preview, renders.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from django.template.response import TemplateResponse
from django.urls import reverse

from .errors import ConfigurationError
from .models import ValueTable
from .value_table_preview import value_table_preview
from .value_tables import value_table_draft_changes, value_table_draft_discard, value_table_publish

PUBLISH_PERMISSION = "mappings.publish_valuetable"


def publish_view(request, pk):
    """GET: the draft's diff and preview; POST: publish it (needs the publish permission)."""
    if not request.user.has_perm("mappings.view_valuetable"):
        raise PermissionDenied
    table = get_object_or_404(ValueTable, pk=pk)
    change_url = reverse("admin:mappings_valuetable_change", args=[table.pk])
    if request.method == "POST":
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        try:
            version = value_table_publish(table=table, user=request.user, note=request.POST.get("note", "")[:2000])
        except ConfigurationError as exc:
            messages.error(request, f"Not published: {exc}")
        else:
            messages.success(request, f"Published {table.name} version {version.version}: "
                                      f"{len(version.changes)} change(s) now in force.")
        return redirect(change_url)
    changes = value_table_draft_changes(table)
    return TemplateResponse(request, "admin/mappings/valuetable/publish.html", {
        **admin.site.each_context(request), "opts": ValueTable._meta, "original": table, "table": table,
        "title": f"Preview and publish: {table.name}", "change_url": change_url, "changes": changes,
        "preview": value_table_preview(table=table) if changes else None,
        "can_publish": request.user.has_perm(PUBLISH_PERMISSION),
    })


@require_POST
def discard_view(request, pk):
    """POST: throw the draft away; who may edit the draft may (the publish permission, or changing tables)."""
    if not (request.user.has_perm(PUBLISH_PERMISSION) or request.user.has_perm("mappings.change_valuetable")):
        raise PermissionDenied
    table = get_object_or_404(ValueTable, pk=pk)
    try:
        changes = value_table_draft_discard(table=table, user=request.user)
    except ConfigurationError as exc:
        messages.error(request, f"Nothing discarded: {exc}")
    else:
        messages.success(request, f"Discarded the draft of {table.name} ({len(changes)} change(s)); "
                                  "the published rows are unchanged.")
    return redirect(reverse("admin:mappings_valuetable_change", args=[table.pk]))

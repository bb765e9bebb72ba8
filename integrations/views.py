"""Staff pages of the integrations app: thin callers of reconcile / timeline / services."""
from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from config.staff_views import staff_permission_required
from integrations.models import Binding, Connection, DescribedObject, Entity, Flow
from integrations.operations.describe import objects_describe
from integrations.operations import resync
from integrations.operations.reconcile import (
    CHECK_NAME,
    reconcile_findings_record,
    reconcile_flow,
)
from integrations.operations.records_search import SearchQueryInvalid, records_search
from integrations.operations.timeline import timeline_build
from monitoring.models import Finding


def _page(request, template: str, title: str, **context):
    return TemplateResponse(request, template, {**admin.site.each_context(request), "title": title, **context})


@staff_permission_required("integrations.view_binding")
def timeline_binding(request, binding_id: int):
    binding = get_object_or_404(Binding, pk=binding_id)
    return redirect("integrations:timeline_entity", entity_id=binding.entity_id)


@staff_permission_required("integrations.view_binding")
def records_search_page(request):
    """The sidebar's search box: records by any business key (operations/records_search.py)."""
    query = request.GET.get("q", "")
    try:
        results = records_search(query)
    except SearchQueryInvalid as exc:
        return HttpResponseBadRequest(str(exc))
    return _page(request, "integrations/records_search.html", f"Search: {results.query}" if results.query else "Search",
                 results=results, records_query=results.query)


@staff_permission_required("integrations.view_entity")
def timeline_entity(request, entity_id: int):
    entity = get_object_or_404(Entity, pk=entity_id)
    return _page(request, "integrations/timeline.html", f"Timeline of {entity}", **timeline_build(entity=entity))


@staff_permission_required("monitoring.view_finding")
def reconcile_page(request):
    findings = Finding.objects.filter(check_name=CHECK_NAME, status=Finding.Status.OPEN).select_related("flow")
    rows = [{"finding": f, "resync_binding_id": next((r.get("binding_id") for r in f.records if r.get("label") == "Source"), None)}
            for f in findings.order_by("flow__name", "-last_seen_at")[:500]]
    return _page(request, "integrations/reconcile.html", "Reconciliation",
                 flows=Flow.objects.order_by("name"), rows=rows, can_resync=request.user.has_perm("integrations.resync_binding"),
                 can_run=request.user.has_perm("integrations.reconcile_flow"))


@staff_permission_required("integrations.reconcile_flow")
@require_POST
def reconcile_run(request, flow_id: int):
    flow = get_object_or_404(Flow.objects.select_related("source_connection", "target_connection"), pk=flow_id)
    report = reconcile_flow(flow=flow)
    if report.note:
        messages.warning(request, f"{flow}: {report.note}")
    else:
        reconcile_findings_record(report=report)
        messages.success(request, f"{flow}: {report.checked} linked pair(s) compared, {len(report.drifts)} difference(s) found.")
    return redirect("integrations:reconcile")


@staff_permission_required("integrations.resync_binding")
@require_POST
def binding_resync(request, binding_id: int):
    binding = get_object_or_404(Binding, pk=binding_id)
    items = resync.binding_resync(binding=binding, user=request.user)
    messages.success(request, f"Queued {len(items)} sync item(s) for {binding.object_type} {binding.external_id}.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else reverse("integrations:reconcile"))


@staff_permission_required("integrations.describe_connection")
@require_http_methods(["GET", "POST"])
def connection_describe(request, connection_id: int):
    """Read objects' shapes from the connection's system (a custom object added to the org since, say) and
    keep them, so mappings, the canvas and generic flows know them: the admin's way to what
    ``manage.py describe_objects`` does. Not in a transaction: the read is a remote call."""
    connection = get_object_or_404(Connection, pk=connection_id)
    names = request.POST.get("objects", "")
    said = objects_describe(connection=connection, names=_object_names(names)) if request.method == "POST" else []
    if request.method == "POST" and not said:
        said = ["Name at least one object (e.g. Project__c), separated by spaces, commas or lines."]
    return _page(request, "integrations/connection_describe.html", f"Describe objects: {connection.name}",
                 connection=connection, said=said, names=names,
                 described=DescribedObject.objects.filter(system=connection.system).order_by("name"))


def _object_names(text: str) -> list[str]:
    return list(dict.fromkeys(name for name in text.replace(",", " ").split() if name))

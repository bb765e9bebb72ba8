"""Admin for the flows' operations: the Conflicts view (finance picks per field, the item
resumes) and flow actions matching the commands (poll now, replay dead, backfill)."""
from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from unfold.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integrations.models import Conflict, SyncItem
from integrations.operations.backfill import backfill_dry_runs
from integrations.operations.conflicts import conflict_resolve
from integrations.operations.flow_enabling import FlowEnableRefused, flow_enable
from integrations.operations.preflight import connection_check, flow_check
from integrations.operations.replay import dead_items_replay
from integrations.connectors.registry import change_reader_for
from integrations.triggers.polling import flow_poll


@admin.register(Conflict)
class ConflictAdmin(ModelAdmin):
    list_display = ["id", "flow", "source_object", "source_id", "fields_in_conflict", "updated_at"]
    list_filter = ["flow"]
    search_fields = ["source_id", "target_external_id"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=SyncItem.Status.HELD).select_related("flow")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Fields both sides changed")
    def fields_in_conflict(self, obj):
        # a field of a record written with the flow's target is named with it: "Contact Email"
        return ", ".join(c["field"].replace(".", " ") for c in (obj.result or {}).get("conflict", {}).get("fields", []))

    def get_urls(self):
        return [path("<int:item_id>/resolve/", self.admin_site.admin_view(self.resolve_view),
                     name="integrations_conflict_resolve")] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:integrations_conflict_resolve", item_id=object_id)

    def resolve_view(self, request, item_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = get_object_or_404(SyncItem.objects.select_related("flow", "flow__source_connection",
                                                                 "flow__target_connection"), pk=item_id)
        if not request.user.has_perm("integrations.replay_syncitem"):
            messages.error(request, "You may look at conflicts, but deciding them needs the “replay” permission.")
        elif request.method == "POST":
            choices = {k[len("pick:"):]: v for k, v in request.POST.items() if k.startswith("pick:")}
            item, message = conflict_resolve(item=item, choices=choices, user=request.user)
            level = messages.SUCCESS if message.startswith("Decision saved") else messages.WARNING
            self.message_user(request, message, level)
            if level == messages.SUCCESS:
                return redirect("admin:integrations_conflict_changelist")
        conflict = (item.result or {}).get("conflict") or {}
        flow = item.flow
        context = {
            **self.admin_site.each_context(request), "title": f"Conflict: {flow} — {item.source_object} {item.source_id}",
            "item": item, "rows": conflict.get("fields", []), "opts": self.model._meta,
            "source_name": flow.source_connection.get_system_display(),
            "target_name": flow.target_connection.get_system_display() if flow.target_connection else "target",
            "target_id": conflict.get("target_id", item.target_external_id), "reason": item.last_error,
            "target_object": flow.target_object,  # the record of a row held before rows named theirs
            "item_url": reverse("admin:integrations_syncitem_change", args=[item.pk]),
        }
        return TemplateResponse(request, "admin/integrations/conflict_resolve.html", context)


@admin.action(description="Poll now (read what changed at the source and queue it)", permissions=["poll"])
def poll_now(modeladmin, request, queryset):
    for flow in queryset.select_related("source_connection"):
        if change_reader_for(flow) is None:
            modeladmin.message_user(request, f"{flow}: its source cannot be polled.", messages.WARNING)
            continue
        report = flow_poll(flow=flow)
        modeladmin.message_user(request, report.sentence(), messages.ERROR if report.error else messages.SUCCESS)


@admin.action(description="Replay this flow's dead letters", permissions=["replay"])
def replay_dead(modeladmin, request, queryset):
    for flow in queryset:
        queued, _ = dead_items_replay(flow=flow, user=request.user)
        modeladmin.message_user(request, f"{flow}: {queued} dead item(s) queued again.", messages.SUCCESS)


@admin.action(description="Backfill in the background (all history; resumable; dry-run count first)",
              permissions=["backfill"])
def backfill(modeladmin, request, queryset):
    """First a confirmation page with each flow's dry-run count (read from the source, nothing
    written); the backfills start only when it is confirmed (``post=yes``)."""
    from django_q.tasks import async_task

    if request.POST.get("post") != "yes":
        rows = backfill_dry_runs(flows=queryset.select_related("source_connection", "target_connection"))
        context = {
            **modeladmin.admin_site.each_context(request), "title": "Start backfills?", "opts": modeladmin.model._meta,
            "rows": rows, "startable": [r for r in rows if not r.error],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/integrations/backfill_confirmation.html", context)
    for flow in queryset:
        async_task("integrations.tasks.flow_backfill", flow.pk, task_name=f"backfill-{flow.name}", group="backfill")
        modeladmin.message_user(request, f"{flow}: backfill queued; its items appear under Sync items as it runs.",
                                messages.SUCCESS)


def preflight_page(modeladmin, request, reports: list[tuple[str, list]]):
    """The result page of the *Check* actions: each check with its status, sentence and fix."""
    context = {
        **modeladmin.admin_site.each_context(request), "title": "Pre-flight checks", "opts": modeladmin.model._meta,
        "reports": [{"title": title, "results": results, "failed": sum(r.failed for r in results),
                     "blocking": sum(r.blocks for r in results)} for title, results in reports],
    }
    return TemplateResponse(request, "admin/integrations/preflight_results.html", context)


@admin.action(description="Check (pre-flight checks of the connection for its enabled flows)", permissions=["check"])
def check_connections(modeladmin, request, queryset):
    return preflight_page(modeladmin, request, [(str(c), connection_check(connection=c)) for c in queryset])


@admin.action(description="Check (pre-flight checks of the flow's connections and mapping sets)", permissions=["check"])
def check_flows(modeladmin, request, queryset):
    flows = queryset.select_related("source_connection", "target_connection", "mapping_set")
    return preflight_page(modeladmin, request, [(str(f), flow_check(flow=f)) for f in flows])


@admin.action(description="Enable (refused while a blocking check fails)", permissions=["change"])
def enable_flows(modeladmin, request, queryset):
    for flow in queryset.select_related("source_connection", "target_connection", "mapping_set"):
        try:
            flow_enable(flow=flow, user=request.user)
            modeladmin.message_user(request, f"{flow}: enabled.", messages.SUCCESS)
        except FlowEnableRefused as exc:
            modeladmin.message_user(request, exc.message + " To override, open the flow, tick Enabled and give the "
                                             "reason.", messages.ERROR)


class FlowActionsPermissions:
    """The named permission of each flow action (``permissions=[...]`` above), for the Flow admin:
    replaying is finance's too (PRODUCT.md); polling and backfilling are the integration admin's."""

    def has_poll_permission(self, request):
        return request.user.has_perm("integrations.poll_flow")

    def has_replay_permission(self, request):
        return request.user.has_perm("integrations.replay_syncitem")

    def has_backfill_permission(self, request):
        return request.user.has_perm("integrations.backfill_flow")

    def has_check_permission(self, request):
        return request.user.has_perm("integrations.check_connection")


def flow_actions() -> list:
    """Actions added to the Flow admin (thin callers of the same services as the commands)."""
    return [poll_now, replay_dead, backfill, check_flows, enable_flows]

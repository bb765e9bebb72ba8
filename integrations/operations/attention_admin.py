"""Admin pages of the error console: *Needs attention* (one list, grouped by cause), an item's
page with its actions, a cause group's page, and the bulk confirmation. Thin callers of
operations/attention.py and causes.py; every page and action checks a named permission."""
from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from integrations.models import AttentionItem, Flow, SyncItem
from integrations.operations.attention import (
    BULK_ACTIONS,
    BULK_PERMISSIONS,
    AttentionRefused,
    attention_bulk_apply,
    attention_rows,
    item_assign,
    item_edit_retry,
    item_history,
    item_note_add,
    item_replay,
    item_resolve,
    overrides_parse,
)
from integrations.operations.business import business_fields
from mappings.admin import ReadOnlyAdmin  # no add, change or delete: the pages below act
from integrations.operations.causes import cause_fix_links, cause_group, cause_group_replay, cause_groups, cause_history

VIEW = "integrations.view_syncitem"
# The detail page's buttons: POST "do" → (the named permission it needs).
ITEM_ACTIONS = {
    "replay": "integrations.replay_syncitem",
    "resolve": "integrations.resolve_syncitem",
    "ignore": "integrations.resolve_syncitem",
    "assign": "integrations.assign_syncitem",
    "note": "integrations.note_syncitem",
    "edit_retry": "integrations.edit_retry_syncitem",
}


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _staff_users():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@admin.register(AttentionItem)
class AttentionAdmin(ReadOnlyAdmin):
    """Registered for its place in the admin index (Work); its list is the Needs attention page."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status__in=[SyncItem.Status.DEAD, SyncItem.Status.HELD],
                                                    resolution="")

    def get_actions(self, request):
        return {}  # bulk actions have their own confirmation page (bulk_view)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.list_view), name="needs_attention"),
            path("item/<int:item_id>/", wrap(self.item_view), name="needs_attention_item"),
            path("bulk/", wrap(self.bulk_view), name="needs_attention_bulk"),
            path("cause/", wrap(self.cause_view), name="needs_attention_cause"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        return self.list_view(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        _need(request, VIEW)
        return redirect("admin:needs_attention_item", item_id=object_id)

    def _context(self, request, title: str, **values) -> dict:
        return {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **values}

    # -- the list ------------------------------------------------------------------------------
    def list_view(self, request):
        _need(request, VIEW)
        flow_id, assignee_id = _int(request.GET.get("flow")), _int(request.GET.get("assignee"))
        cause, kind = request.GET.get("cause", ""), request.GET.get("kind", "")
        rows = attention_rows(flow_id=flow_id, cause_key=cause, assignee_id=assignee_id, kind=kind)
        groups = cause_groups(flow_id=flow_id)
        for group in groups:
            group.url = reverse("admin:needs_attention_cause") + "?" + urlencode({"key": group.cause_key})
            group.fix_links = cause_fix_links(group.fix)
        return TemplateResponse(request, "admin/integrations/needs_attention.html", self._context(
            request, "Needs attention", rows=rows, groups=groups, flows=Flow.objects.order_by("name"),
            users=_staff_users(), kinds=[("dead", "Dead letters"), ("held", "Held conflicts"), ("finding", "Findings")],
            selected={"flow": flow_id, "assignee": assignee_id, "cause": cause, "kind": kind},
            bulk_actions=BULK_ACTIONS,
        ))

    # -- one item ------------------------------------------------------------------------------
    def item_view(self, request, item_id: int):
        _need(request, VIEW)
        item = get_object_or_404(SyncItem.objects.select_related("flow", "assignee", "resolved_by"), pk=item_id)
        if request.method == "POST":
            return self._item_post(request, item)
        context = self._context(
            request, f"{item.flow} — {item.source_object} {item.source_id}", item=item,
            business=business_fields(item.source_snapshot), fix_links=cause_fix_links(item.cause_fix),
            notes=list(item.notes.all()), history=item_history(item=item), users=_staff_users(),
            snapshot=json.dumps(item.source_snapshot, indent=2, sort_keys=True, default=str),
            payload=json.dumps(item.mapped_payload, indent=2, sort_keys=True, default=str),
            can={name: request.user.has_perm(perm) for name, perm in ITEM_ACTIONS.items()},
            open_statuses=[SyncItem.Status.DEAD, SyncItem.Status.HELD],
            group_url=(reverse("admin:needs_attention_cause") + "?" + urlencode({"key": item.cause_key}))
            if item.cause_key else "",
            item_url=reverse("admin:integrations_syncitem_change", args=[item.pk]),
        )
        return TemplateResponse(request, "admin/integrations/needs_attention_item.html", context)

    def _item_post(self, request, item: SyncItem):
        action = request.POST.get("do", "")
        if action not in ITEM_ACTIONS:
            return HttpResponseBadRequest("Unknown action.")
        _need(request, ITEM_ACTIONS[action])
        try:
            message = self._item_do(request, item, action)
        except AttentionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return redirect("admin:needs_attention_item", item_id=item.pk)

    def _item_do(self, request, item: SyncItem, action: str) -> str:
        post = request.POST
        if action == "replay":
            return item_replay(item=item, user=request.user)[1]
        if action in ("resolve", "ignore"):
            resolution = SyncItem.Resolution.RESOLVED if action == "resolve" else SyncItem.Resolution.IGNORED
            item_resolve(item=item, user=request.user, note=post.get("note", ""), resolution=resolution)
            return f"Item {item.pk} {resolution}."
        if action == "assign":
            assignee = _staff_users().filter(pk=_int(post.get("assignee"))).first()
            item_assign(item=item, assignee=assignee, user=request.user)
            return f"Item {item.pk} assigned to {assignee.get_username()}." if assignee else f"Item {item.pk} unassigned."
        if action == "note":
            item_note_add(item=item, user=request.user, text=post.get("text", ""))
            return "Note added."
        return item_edit_retry(item=item, user=request.user, overrides=overrides_parse(post.get("overrides", "")))[1]

    # -- bulk ----------------------------------------------------------------------------------
    def bulk_view(self, request):
        _need(request, VIEW)
        if request.method != "POST":
            return redirect("admin:needs_attention")
        action = request.POST.get("action", "")
        ids = [i for i in (_int(v) for v in request.POST.getlist("items")) if i]
        if action not in BULK_ACTIONS or not ids:
            self.message_user(request, "Select items and an action.", messages.WARNING)
            return redirect("admin:needs_attention")
        _need(request, BULK_PERMISSIONS[action])
        items = list(SyncItem.objects.filter(pk__in=ids).filter(Q(status=SyncItem.Status.DEAD) | Q(
            status=SyncItem.Status.HELD)).select_related("flow", "assignee").order_by("pk"))
        if request.POST.get("confirmed") == "yes":
            assignee = _staff_users().filter(pk=_int(request.POST.get("assignee"))).first()
            try:
                results = attention_bulk_apply(action=action, items=items, user=request.user,
                                               note=request.POST.get("note", ""), assignee=assignee)
            except AttentionRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                for line in results:
                    self.message_user(request, line, messages.INFO)
                return redirect("admin:needs_attention")
        rows = [{"item": i, "business": business_fields(i.source_snapshot)} for i in items]
        return TemplateResponse(request, "admin/integrations/needs_attention_bulk.html", self._context(
            request, f"{BULK_ACTIONS[action]} these {len(items)} item(s)?", rows=rows, action=action,
            action_label=BULK_ACTIONS[action], users=_staff_users()))

    # -- a cause group -------------------------------------------------------------------------
    def cause_view(self, request):
        _need(request, VIEW)
        key = request.GET.get("key", "") or request.POST.get("key", "")
        if request.method == "POST":
            _need(request, "integrations.replay_syncitem")
            if not key:
                return HttpResponseBadRequest("Which group? (key is missing)")
            queued, _ = cause_group_replay(cause_key=key, user=request.user)
            self.message_user(request, f"{queued} item(s) of the group queued again.", messages.SUCCESS)
            return redirect(reverse("admin:needs_attention_cause") + "?" + urlencode({"key": key}))
        group = cause_group(cause_key=key) if key else None
        return TemplateResponse(request, "admin/integrations/needs_attention_cause.html", self._context(
            request, f"Cause: {group.label}" if group else "Cause group", group=group, key=key,
            fix_links=cause_fix_links(group.fix) if group else [],
            rows=attention_rows(cause_key=key, kind="dead") if key else [],
            history=cause_history(cause_key=key) if key else [],
            can_replay=request.user.has_perm("integrations.replay_syncitem"),
        ))

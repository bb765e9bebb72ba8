"""Admin: thin callers of services. Secrets are write-only and never rendered back."""
from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from unfold.admin import ModelAdmin, TabularInline
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.html import format_html, format_html_join

from integrations.connectors.registry import CONNECTORS, change_reader_for
from integrations.connectors.freshbooks.values import payment_reference_parse
from integrations.connectors.shop.subscriptions import SHOP_SYSTEMS, shop_webhooks_ensure
from integrations.errors import SyncError
from integrations.flows.forms import PREFIX as SETTING_PREFIX
from integrations.flows.forms import FlowForm, flow_form_for
# The flows' operations (the Conflicts view, the flow actions) live in operations/admin_actions.py.
from integrations.operations.admin_actions import FlowActionsPermissions, check_connections, flow_actions
from integrations.operations import attention_admin  # noqa: F401  (registers the Needs attention pages)
from integrations.operations.flow_enabling import FlowEnableRefused, flow_enable_allowed, flow_override_record
from integrations.models import (
    Binding,
    Connection,
    Cursor,
    DeadLetter,
    Entity,
    Flow,
    InboundEvent,
    SyncItem,
)
from integrations.operations.replay import sync_items_replay
from integrations.operations.resync import binding_resync
from integrations.triggers.polling import flow_polling_warning
from integrations.triggers.subscriber.status import subscribers_status
from config.admin_empty import EmptyAction, EmptyStateAdmin
from config.admin_secrets import SecretFieldsAdmin
from integrations import admin_thirdparty  # noqa: F401  (django-q2's and social-auth's admins, re-registered)
from monitoring.models import SyncAttempt

# The admin site's own names (django-unfold's UNFOLD settings name the header; these name the rest).
admin.site.site_header = admin.site.site_title = "Ledgerlink"
admin.site.index_title = "Home"
admin.site.site_url = "/monitoring/dashboard/"  # "View site": the admin has no public site; never a debug 404

# Secret fields an admin may set on a connection; tokens are set only by the OAuth flows.
SECRET_INPUTS = {
    "client_secret": "OAuth client secret",
    "webhook_secret": "Webhook signing secret (Salesforce relay, Shopify, WooCommerce)",
    "webhook_secret_previous": "Previous webhook secret, still accepted while the sender rotates (Shopify, WooCommerce)",
    "jwt_private_key": "Private key (PEM) for the JWT bearer flow",
    "shop_access_token": "Shopify Admin API access token (catch-up of orders, webhook registration)",
    "consumer_key": "WooCommerce REST API consumer key",
    "consumer_secret": "WooCommerce REST API consumer secret",
}


def pretty_json(value) -> str:
    # A class, not an inline style (the Content-Security-Policy refuses those): config/static/ledgerlink/admin.css.
    return format_html("<pre class='ll-pre'>{}</pre>",
                       json.dumps(value, indent=2, sort_keys=True, default=str))


def _secret_input(label: str) -> forms.CharField:
    # render_value=False: the stored value never reaches the browser.
    return forms.CharField(
        label=label, required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave blank to keep the stored value.",
    )


# Declared on a base class (not added in __init__) so the admin renders them: ModelAdmin
# lays out a form from its declared fields only.
SecretInputsForm = type("SecretInputsForm", (forms.Form,),
                        {name: _secret_input(label) for name, label in SECRET_INPUTS.items()})
# Credentials files a system's connector accepts (e.g. an .ionapi file), one file field each.
UPLOADS = {c.credentials_upload.field_name: c.credentials_upload for c in CONNECTORS.values() if c.credentials_upload}
UploadsForm = type("UploadsForm", (forms.Form,), {
    name: forms.FileField(label=upload.label, required=False, help_text=upload.help_text)
    for name, upload in UPLOADS.items()
})


class ConnectionForm(forms.ModelForm, SecretInputsForm, UploadsForm):
    clear_secrets = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Tick to delete a stored secret (e.g. revoked tokens).",
    )

    class Meta:
        model = Connection
        exclude = ["secrets_encrypted", "api_usage", "token_state", "last_auth_error", "token_expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clear_secrets"].choices = [(n, n) for n in (self.instance.secret_names() if self.instance.pk else [])]

    def clean(self):
        cleaned = super().clean()
        for name, upload in UPLOADS.items():
            file = cleaned.get(name)
            if not file:
                cleaned[name] = None
                continue
            if file.size > upload.max_bytes:
                self.add_error(name, f"That file is too large to be {upload.what}.")
                continue
            text = file.read()
            try:
                upload.check(text, connection=self.instance)
            except ValueError as exc:
                self.add_error(name, str(exc))
                continue
            cleaned[name] = text
        return cleaned

    def save(self, commit=True):
        connection = super().save(commit=False)
        for name, upload in UPLOADS.items():
            if self.cleaned_data.get(name):
                upload.apply(connection=connection, text=self.cleaned_data[name])
        updates = {name: self.cleaned_data[name] for name in SECRET_INPUTS if self.cleaned_data.get(name)}
        updates.update({name: None for name in self.cleaned_data.get("clear_secrets") or []})
        if updates:
            connection.set_secrets(**updates)
        if commit:
            connection.save()
        return connection


@admin.register(Connection)
class ConnectionAdmin(SecretFieldsAdmin):
    form = ConnectionForm
    secret_fields = tuple(SECRET_INPUTS)
    list_display = ["name", "system", "environment", "is_sandbox", "is_active", "token_state", "token_expires_at"]
    list_filter = ["system", "environment", "is_sandbox", "is_active", "token_state"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["connect", "stored_secrets", "token_state", "token_expires_at", "last_auth_error", "usage",
                       "webhook_rejections", "change_event_subscriber", "created_at", "updated_at"]
    actions = ["test_connection", check_connections, "prepare", "describe_objects", "register_shop_webhooks"]

    def has_test_permission(self, request):
        return request.user.has_perm("integrations.test_connection")

    def has_check_permission(self, request):
        return request.user.has_perm("integrations.check_connection")

    def has_prepare_permission(self, request):
        return request.user.has_perm("integrations.prepare_connection")

    def has_webhooks_permission(self, request):
        return request.user.has_perm("integrations.register_webhooks_connection")

    def has_describe_permission(self, request):
        return request.user.has_perm("integrations.describe_connection")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        # The "Connect" button replaces the connection's tokens: offered only to who may use it.
        hidden = set() if request.user.has_perm("integrations.connect_connection") else {"connect"}
        if not self._may_save(request, obj):
            hidden |= {*UPLOADS, "clear_secrets"}  # inputs only: nothing to show a viewer
        return [name for name in fields if name not in hidden]

    @admin.display(description="Connect")
    def connect(self, obj):
        connector = CONNECTORS.get(obj.system) if obj and obj.pk else None
        button = connector.connect_action if connector else None
        if button is None:
            return "Save the connection (with its client id and secret) first." if obj and not obj.pk else "—"
        return format_html('<a class="button" href="{}">{}</a>', reverse(button.url_name, args=[obj.pk]), button.label)

    @admin.action(description="Test connection (identity and a sample call)", permissions=["test"])
    def test_connection(self, request, queryset):
        for connection in queryset:
            connector = CONNECTORS.get(connection.system)
            test = connector.connection_test if connector else None
            if test is None:
                self.message_user(request, f"{connection}: no connection test for this system yet.", messages.WARNING)
                continue
            try:
                self.message_user(request, f"{connection}: {test(connection=connection)}", messages.SUCCESS)
            except SyncError as exc:
                self.message_user(request, f"{connection}: {exc.message}", messages.ERROR)

    @admin.action(description="Prepare (create what the flows need, after a dry run)", permissions=["prepare"])
    def prepare(self, request, queryset):
        """One connection at a time: its system's Prepare page shows the dry run and a confirm button."""
        connection = queryset.first() if queryset.count() == 1 else None
        connector = CONNECTORS.get(connection.system) if connection else None
        if connector is None or connector.prepare_action is None:
            self.message_user(request, "Select one connection of a system that can be prepared (Salesforce).",
                              messages.WARNING)
            return None
        return redirect(connector.prepare_action.url_name, connection.pk)

    @admin.action(description="Describe objects (read their fields from the system)", permissions=["describe"])
    def describe_objects(self, request, queryset):
        """One connection at a time: its Describe page asks which objects."""
        if queryset.count() != 1:
            self.message_user(request, "Select one connection to describe its objects.", messages.WARNING)
            return None
        return redirect("integrations:connection_describe", queryset.first().pk)

    @admin.action(description="Register the shop's webhooks (re-create missing ones)", permissions=["webhooks"])
    def register_shop_webhooks(self, request, queryset):
        for connection in queryset:
            if connection.system not in SHOP_SYSTEMS:
                self.message_user(request, f"{connection}: not a shop connection.", messages.WARNING)
                continue
            report = shop_webhooks_ensure(connection)
            self.message_user(request, report.sentence(), messages.ERROR if report.problems else messages.SUCCESS)

    @admin.display(description="Stored secrets")
    def stored_secrets(self, obj):
        names = obj.secret_names() if obj.pk else []
        return ", ".join(f"{n} (set)" for n in names) or "none"

    @admin.display(description="API usage")
    def usage(self, obj):
        return pretty_json(obj.api_usage)

    @admin.display(description="Change event subscriber (Pub/Sub)")
    def change_event_subscriber(self, obj):
        """Read-only: each topic's state, lag and last keepalive (integrations/triggers/subscriber/status.py)."""
        if obj is None or obj.pk is None or obj.system != "salesforce":
            return "—"
        rows = subscribers_status(connection_id=obj.pk)
        if not rows:
            return "No subscriber has run for this connection (manage.py salesforce_subscribe)."
        return format_html_join(mark_safe("<br>"), "{}: {}; lag {}; last keepalive {}; {} event(s) stored{}{}", (
            (r["topic"], r["state"], f"{r['lag_seconds']:.0f} s" if r["lag_seconds"] is not None else "— (no event yet)",
             f"{r['keepalive_age_seconds']:.0f} s ago" if r["keepalive_age_seconds"] is not None else "—",
             r["events_stored"], f"; held by {r['holder']}" if r["holder"] else "",
             f"; last error: {r['last_error']}" if r["last_error"] else "") for r in rows))

    @admin.display(description="Rejected webhook deliveries")
    def webhook_rejections(self, obj):
        """Counted apart from the connection row (anyone can send one); the latest reason with each."""
        rows = obj.webhook_rejection_counts.order_by("kind") if obj and obj.pk else []
        return "; ".join(f"{r.kind}: {r.count}" + (f" (latest {r.last_at:%Y-%m-%d %H:%M} UTC: {r.last_detail})"
                                                     if r.last_at else "") for r in rows) or "none"


class FlowAdminForm(FlowForm):
    """The Flow form, refusing to enable a flow while a blocking pre-flight check fails, unless the
    user may override and gives a reason (recorded by FlowAdmin.save_model)."""

    override_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only to enable this flow although a blocking pre-flight check fails: why (recorded with your "
                  "name and the failing checks). Needs the “override checks” permission.")
    user = None  # set by FlowAdmin.get_form
    overridden: list = []

    def _post_clean(self):
        super()._post_clean()
        flow = self.instance
        if self.errors or not flow.enabled:
            return
        if flow.pk and Flow.objects.filter(pk=flow.pk, enabled=True).exists():
            return  # already enabled: nothing is being enabled
        try:
            self.overridden = flow_enable_allowed(flow=flow, user=self.user,
                                                  override_reason=self.cleaned_data.get("override_reason", ""))
        except FlowEnableRefused as exc:
            self.add_error("enabled", exc.message)


@admin.register(Flow)
class FlowAdmin(FlowActionsPermissions, ModelAdmin):
    form = FlowAdminForm
    # Fits 1366 px: the connections and the poll interval are on the flow's page.
    list_display = ["name", "title", "kind", "source_object", "target_object", "trigger", "polling", "enabled"]
    list_filter = ["enabled", "kind", "trigger"]
    search_fields = ["name", "title"]
    readonly_fields = ["polling", "check_overrides"]
    actions = flow_actions()

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The settings fields of the kind being saved, asked for (?kind=) or stored.
        kind = request.POST.get("kind") or request.GET.get("kind") or (obj.kind if obj else "")
        kwargs.setdefault("form", flow_form_for(self.form, kind))
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_fieldsets(self, request, obj=None):
        fields = self.get_fields(request, obj)
        settings = [f for f in fields if f.startswith(SETTING_PREFIX)]
        return [(None, {"fields": [f for f in fields if f not in settings]}),
                ("Settings of this kind", {"fields": settings, "description": (
                    "Each setting of the chosen kind, with its default; checked like import_config checks them."
                    if settings else "Choose the kind and save (or open this page with ?kind=<kind>) to set its "
                    "settings here.")})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(form, "overridden", None):
            flow_override_record(flow=obj, user=request.user, reason=form.cleaned_data["override_reason"],
                                 failures=form.overridden)

    @admin.display(description="Enabled despite failing checks")
    def check_overrides(self, obj):
        rows = obj.check_overrides.all()[:10] if obj and obj.pk else []
        return format_html_join(mark_safe("<br>"), "{} by {}: “{}” (failing: {})", (
            (f"{r.created_at:%Y-%m-%d %H:%M} UTC", r.username or "someone", r.reason,
             "; ".join(c.get("name", "") for c in r.failed_checks)) for r in rows)) or "never"

    @admin.display(description="Polling")
    def polling(self, obj):
        """The last poll's failure and a flow nothing brings changes to (integrations/triggers/polling.py)."""
        if obj is None or obj.pk is None:
            return "—"
        problems = []
        if obj.poll_error:
            when = f" (latest {obj.poll_error_at:%Y-%m-%d %H:%M} UTC)" if obj.poll_error_at else ""
            problems.append(f"Last {obj.poll_failures} poll(s) failed{when}: {obj.poll_error}")
        warning = flow_polling_warning(obj)
        if warning:
            problems.append(warning)
        if not problems:
            if change_reader_for(obj) is None:
                return "Its source cannot be polled."
            return (f"Every {obj.poll_interval_minutes} min; no failed poll." if obj.poll_interval_minutes
                    else "Not polled: its live event source delivers its changes.")
        # No inline style: the Content-Security-Policy refuses it (README "Security").
        return format_html_join(mark_safe("<br>"), "<strong>⚠ {}</strong>", ((p,) for p in problems))


@admin.register(Entity)
class EntityAdmin(ModelAdmin):
    list_display = ["id", "kind", "label", "created_at"]
    list_filter = ["kind"]
    search_fields = ["label", "bindings__external_id"]


@admin.register(Binding)
class BindingAdmin(ModelAdmin):
    list_display = ["external_id", "object_type", "connection", "entity", "last_written_at", "updated_at", "timeline"]
    list_filter = ["connection", "object_type"]
    # Any external id of the same entity finds the binding: search a Salesforce id, see the FreshBooks row.
    search_fields = ["external_id", "entity__bindings__external_id", "entity__label"]
    readonly_fields = ["last_written_hash", "last_written_at", "last_seen_hash", "created_at", "updated_at"]
    actions = ["resync"]

    def has_resync_permission(self, request):
        return request.user.has_perm("integrations.resync_binding")

    @admin.display(description="Deal timeline")
    def timeline(self, obj):
        return format_html("<a href='{}'>timeline</a>", reverse("integrations:timeline", args=[obj.pk]))

    @admin.action(description="Resync selected records now", permissions=["resync"])
    def resync(self, request, queryset):
        total = sum(len(binding_resync(binding=b, user=request.user)) for b in queryset)
        self.message_user(request, f"Queued {total} sync item(s) for {queryset.count()} record(s).", messages.SUCCESS)


class SyncAttemptInline(TabularInline):
    model = SyncAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "outcome", "step", "error_class", "http_status", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SyncItem)
class SyncItemAdmin(ModelAdmin):
    # What finance reads at 1366 px: the record, its status and the reason (the next attempt is on the item's page).
    list_display = ["id", "flow", "record", "status", "attempts", "short_error", "updated_at"]
    list_filter = ["status", "flow", "source_object"]
    search_fields = ["source_id", "target_external_id", "identity_key"]
    date_hierarchy = "created_at"
    inlines = [SyncAttemptInline]
    actions = ["replay"]
    readonly_fields = [
        "flow", "identity_key", "source_object", "source_id", "action", "status", "attempts", "next_attempt_at",
        "last_error", "last_error_class", "last_error_field", "target_external_id", "entity", "parent", "step",
        "inbound_event", "received_at", "created_at", "updated_at", "finished_at",
        "snapshot", "payload", "result_view", "hint_view", "timeline",
    ]
    exclude = ["source_snapshot", "mapped_payload", "result", "hint", "lease_expires_at"]

    def has_add_permission(self, request):
        return False

    def get_search_results(self, request, queryset, search_term):
        """A payment reference another system holds (FBP-<id>, e.g. M3's CKNO) finds that payment's items."""
        results, distinct = super().get_search_results(request, queryset, search_term)
        payment_id = payment_reference_parse(search_term)
        if payment_id is not None:
            results |= queryset.filter(source_object="payment", source_id=payment_id)
        return results, distinct

    def has_replay_permission(self, request):
        return request.user.has_perm("integrations.replay_syncitem")

    @admin.display(description="Record", ordering="source_id")
    def record(self, obj):
        return f"{obj.source_object} {obj.source_id}"

    @admin.display(description="Reason")
    def short_error(self, obj):
        return (obj.last_error[:120] + "…") if len(obj.last_error) > 120 else obj.last_error

    @admin.display(description="Deal timeline")
    def timeline(self, obj):
        if not obj.entity_id:
            return "—"
        return format_html("<a href='{}'>whole chain across systems</a>", reverse("integrations:timeline_entity", args=[obj.entity_id]))

    @admin.display(description="Source snapshot")
    def snapshot(self, obj):
        return pretty_json(obj.source_snapshot)

    @admin.display(description="Mapped payload")
    def payload(self, obj):
        return pretty_json(obj.mapped_payload)

    @admin.display(description="Result")
    def result_view(self, obj):
        return pretty_json(obj.result)

    @admin.display(description="Trigger hint")
    def hint_view(self, obj):
        return pretty_json(obj.hint)

    @admin.action(description="Replay selected items", permissions=["replay"])
    def replay(self, request, queryset):
        if request.POST.get("post") == "yes":
            queued, notes = sync_items_replay(items=list(queryset), user=request.user)
            self.message_user(request, f"{queued} item(s) queued again.", messages.SUCCESS)
            for note in notes:
                if not note.endswith("queued again."):
                    self.message_user(request, note, messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Replay these items?",
            "items": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/integrations/replay_confirmation.html", context)


@admin.register(DeadLetter)
class DeadLetterAdmin(EmptyStateAdmin, SyncItemAdmin):
    # Every dead letter, worked or not: whether someone resolved or ignored it is a column and a filter
    # (Needs attention lists only the unresolved ones).
    list_display = ["id", "flow", "record", "attempts", "short_error", "resolution", "finished_at"]
    list_filter = ["resolution", "flow", "source_object"]
    empty_help = (
        "No dead letters: nothing has failed for good. Every change either synced, is still being retried, "
        "or waits for review under Conflicts.\n"
        "When a change cannot be synced after its retries (a value missing from a value table, a record the "
        "other system refuses…), it lands here with the reason in plain words. Fix the cause, then Replay it."
    )
    empty_actions = (EmptyAction("Sync dashboard", "monitoring:dashboard"),
                     EmptyAction("All sync items", "admin:integrations_syncitem_changelist"))

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=SyncItem.Status.DEAD)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A dead letter is worked on its Needs attention page (record, reason, fix, actions), not the raw form.
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect("admin:needs_attention_item", item_id=object_id)


@admin.register(InboundEvent)
class InboundEventAdmin(ModelAdmin):
    list_display = ["received_at", "connection", "event_type", "object_type", "object_id", "status", "signature_valid", "duplicate_count"]
    list_filter = ["connection", "status", "event_type", "signature_valid"]
    search_fields = ["object_id", "dedupe_key"]
    readonly_fields = [f.name for f in InboundEvent._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Cursor)
class CursorAdmin(ModelAdmin):
    list_display = ["connection", "flow", "stream", "value", "last_run_at", "caught_up_at"]
    list_filter = ["connection"]


"""Admin: read-only audit tables, editable alert rules, alerts with history, findings to decide."""
from django import forms
from django.contrib.auth import get_user_model
from django.contrib import admin, messages
from unfold.admin import ModelAdmin, TabularInline
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join

from config.outbound_urls import OutboundURLRefused, outbound_url_check
from config.admin_empty import EmptyAction, EmptyStateAdmin
from config.admin_secrets import SecretFieldsAdmin

from . import admin_views
from .alerts.evaluators import RULE_KINDS
from .findings import finding_assign, finding_decide, finding_note_add
from .models import Alert, AlertEvent, AlertRule, ApiCall, Finding, SyncAttempt


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ReadOnlyAdmin):
    list_display = ["sync_item", "number", "started_at", "duration_ms", "outcome", "step", "error_class", "http_status"]
    list_filter = ["outcome", "error_class"]
    search_fields = ["sync_item__source_id", "message"]


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "system", "operation", "method", "status_code", "duration_ms", "record_count", "sync_item"]
    list_filter = ["system", "status_code", "method"]
    search_fields = ["operation", "path"]
    date_hierarchy = "created_at"


class AlertRuleForm(forms.ModelForm):
    # The chat webhook URL embeds its own token: write-only, like connection secrets.
    webhook_url = forms.URLField(
        required=False, max_length=500, label="Chat webhook URL",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Slack-compatible incoming webhook. Write-only: leave blank to keep the stored one.",
    )
    clear_webhook = forms.BooleanField(required=False, label="Remove the stored chat webhook")

    class Meta:
        model = AlertRule
        fields = "__all__"
        help_texts = {"kind": " ".join(f"{k}: {d}" for k, (_, d) in RULE_KINDS.items())}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_webhook = self.instance.webhook_url if self.instance.pk else ""

    def clean_webhook_url(self):
        if self.cleaned_data.get("clear_webhook"):
            return ""
        entered = self.cleaned_data.get("webhook_url")
        if entered:
            try:
                outbound_url_check(entered, field="The chat webhook URL")
            except OutboundURLRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        return entered or self._stored_webhook

    def save(self, commit=True):
        self.instance.webhook_url = self.cleaned_data.get("webhook_url", "")  # encrypted by the model
        return super().save(commit=commit)


@admin.register(AlertRule)
class AlertRuleAdmin(EmptyStateAdmin, SecretFieldsAdmin):
    form = AlertRuleForm
    empty_help = (
        "No alert rules: nobody is told when syncing goes wrong.\n"
        "The set-up (manage.py ledgerlink_setup, run by make run) creates four defaults: dead letters waiting "
        "over 15 minutes, sign-in to a connected system failing, polling stuck while the source has changes, "
        "and the Salesforce API budget above 80 %. Each e-mails LEDGERLINK_ALERT_EMAIL (edit the recipients and "
        "add a chat webhook on the rule), and every message links to the records."
    )

    empty_actions = (
        EmptyAction("Create the default rules", "admin:monitoring_alertrule_defaults", "post", "monitoring.add_alertrule"),
        EmptyAction("Add a rule", "admin:monitoring_alertrule_add", permission="monitoring.add_alertrule"),
    )

    def get_urls(self):
        return [path("create-defaults/", self.admin_site.admin_view(admin_views.alert_rules_defaults_view),
                     name="monitoring_alertrule_defaults")] + super().get_urls()
    # The decrypted URL is the model's ``webhook_url``: a view-only page would render it in clear.
    secret_fields = ("webhook_url",)
    readonly_fields = ["channels"]
    list_display = ["name", "kind", "enabled", "severity", "threshold", "window_minutes", "flow", "connection", "channels", "repeat_minutes"]
    list_filter = ["enabled", "kind", "severity"]
    search_fields = ["name"]

    @admin.display(description="Channels")
    def channels(self, obj):
        out = []
        if obj.recipients():
            out.append(f"email ({len(obj.recipients())})")
        if obj.webhook_url:
            out.append("chat webhook (set)")
        return ", ".join(out) or "none"


class AlertEventInline(TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "message", "delivered"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Deliveries")
    def delivered(self, obj):
        return "; ".join(f"{d['channel']}: {'ok' if d['ok'] else 'FAILED'} ({d['detail']})" for d in obj.deliveries) or "—"


@admin.register(Alert)
class AlertAdmin(EmptyStateAdmin, ModelAdmin):
    empty_help = ("No alerts yet. An alert opens when one of the alert rules' conditions holds, is sent by e-mail "
                  "or chat with a link to the records, and resolves itself when the condition clears.")
    empty_actions = (EmptyAction("See the alert rules", "admin:monitoring_alertrule_changelist"),)

    list_display = ["opened_at", "severity", "status", "kind", "title", "notify_count", "last_notified_at", "resolved_at"]
    list_filter = ["status", "severity", "kind", "rule"]
    search_fields = ["title", "key"]
    readonly_fields = ["rule", "kind", "key", "severity", "status", "title", "message", "details", "opened_at",
                       "last_notified_at", "notify_count", "resolved_at"]
    inlines = [AlertEventInline]

    def has_add_permission(self, request):
        return False


def _record_link(record: dict) -> str:
    """A link to where the record can be looked at: its timeline, sync item or flow."""
    try:
        if record.get("binding_id"):
            return reverse("integrations:timeline", args=[record["binding_id"]])
        if record.get("sync_item_id"):
            return reverse("admin:integrations_syncitem_change", args=[record["sync_item_id"]])
        if record.get("flow_id"):
            return reverse("admin:integrations_flow_change", args=[record["flow_id"]])
        if record.get("external_id"):
            return reverse("admin:integrations_binding_changelist") + f"?q={record['external_id']}"
    except NoReverseMatch:
        pass
    return ""


class FindingForm(forms.ModelForm):
    """The one thing finance edits on a finding: who looks into it, and a note on its thread."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Added to the thread above with your name and the time.")

    class Meta:
        model = Finding
        fields = ["assignee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = get_user_model().objects.filter(
                is_active=True, is_staff=True).order_by("username")


@admin.register(Finding)
class FindingAdmin(EmptyStateAdmin, ModelAdmin):
    empty_help = (
        "No findings: the anomaly checks and the reconciliation have found nothing that looks wrong.\n"
        "The checks run every 15 minutes over the synced business data (amounts that do not match, duplicates, "
        "unusual exchange rates, …) and reconciliation every hour; what they find is listed here for finance "
        "to confirm or dismiss."
    )
    empty_actions = (EmptyAction("How each check is computed", "monitoring:dashboard", anchor="ll-checks"),
                     EmptyAction("Reconciliation", "integrations:reconcile"))

    form = FindingForm
    list_display = ["last_seen_at", "check_name", "status", "title", "flow", "assignee", "decided_by"]
    list_filter = ["status", "check_name", "flow", "assignee"]
    list_select_related = ["flow", "assignee"]
    search_fields = ["title", "fingerprint"]
    readonly_fields = ["check_name", "status", "title", "explanation", "details", "records_links", "flow",
                       "first_seen_at", "last_seen_at", "decided_by", "decided_at", "notes_thread"]
    fieldsets = [
        (None, {"fields": ["check_name", "status", "title", "explanation", "details", "records_links", "flow",
                           "first_seen_at", "last_seen_at", "decided_by", "decided_at"]}),
        ("Who looks into it", {"fields": ["assignee", "notes_thread", "note"]}),
    ]
    actions = ["confirm", "dismiss", "reopen"]

    def has_add_permission(self, request):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm("monitoring.decide_finding")

    def has_change_permission(self, request, obj=None):
        # Saving the page only assigns and adds a note (every other field is read-only):
        # part of deciding findings, which finance may do.
        return self.has_decide_permission(request)

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.fieldsets
        return [self.fieldsets[0], ("Who looks into it", {"fields": ["assignee", "notes_thread"]})]

    def save_model(self, request, obj, form, change):
        """Through the services: an assignment is noted on the thread, a note keeps its author."""
        if "assignee" in form.changed_data:
            finding_assign(finding=obj, assignee=form.cleaned_data["assignee"], user=request.user)
        if form.cleaned_data.get("note", "").strip():
            finding_note_add(finding=obj, user=request.user, text=form.cleaned_data["note"])

    @admin.display(description="Notes")
    def notes_thread(self, obj):
        notes = [(n.created_at.strftime("%Y-%m-%d %H:%M"), n.username or "someone", n.text) for n in obj.notes.all()]
        if not notes:
            return "No notes yet."
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} · <strong>{}</strong>: {}</li>", notes))

    @admin.display(description="Records involved")
    def records_links(self, obj):
        rows = [
            (_record_link(r), r.get("label", ""), " ".join(str(r[k]) for k in ("system", "object_type", "external_id") if r.get(k)))
            for r in obj.records
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "<li><a href='{}'>{}</a> {}</li>", rows)) if rows else "—"

    def _decide(self, request, queryset, status, words):
        for finding in queryset:
            finding_decide(finding=finding, status=status, user=request.user)
        self.message_user(request, f"{queryset.count()} finding(s) {words}.", messages.SUCCESS)

    @admin.action(description="Confirm: a real problem", permissions=["decide"])
    def confirm(self, request, queryset):
        self._decide(request, queryset, Finding.Status.CONFIRMED, "confirmed")

    @admin.action(description="Dismiss: fine as it is", permissions=["decide"])
    def dismiss(self, request, queryset):
        self._decide(request, queryset, Finding.Status.DISMISSED, "dismissed")

    @admin.action(description="Reopen", permissions=["decide"])
    def reopen(self, request, queryset):
        self._decide(request, queryset, Finding.Status.OPEN, "reopened")

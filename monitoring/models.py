"""What happened: every sync attempt, every external API call, every alert.

These tables are the audit log. django-q2's own task tables are not (they are pruned and
hold pickles); finance reads these.
"""
from django.conf import settings
from django.db import models

from config.crypto import secret_decrypt, secret_encrypt
from config.notes import Note


class SyncAttempt(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        SKIPPED = "skipped", "Skipped"
        RETRYING = "retrying", "Failed, will retry"
        DEAD = "dead", "Failed permanently"
        HELD = "held", "Held for review"

    sync_item = models.ForeignKey("integrations.SyncItem", on_delete=models.CASCADE, related_name="attempts_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    step = models.CharField(max_length=40, blank=True, help_text="The engine step that ended the attempt.")
    error_class = models.CharField(max_length=80, blank=True)
    message = models.TextField(blank=True, help_text="Readable account of what happened.")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["sync_item_id", "number"]
        constraints = [models.UniqueConstraint(fields=["sync_item", "number"], name="syncattempt_unique_number")]

    def __str__(self):
        return f"Attempt {self.number} of item {self.sync_item_id}: {self.outcome}"


class ApiCall(models.Model):
    """One request to an external system (or simulator), logged by the connector base."""

    connection = models.ForeignKey(
        "integrations.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="api_calls"
    )
    system = models.CharField(max_length=20)
    operation = models.CharField(max_length=120)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500, help_text="URL path without query string (queries may carry data).")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    record_count = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    sync_item = models.ForeignKey(
        "integrations.SyncItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="api_calls"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="apicall_created"),
            models.Index(fields=["system", "created_at"], name="apicall_system_created"),
        ]

    def __str__(self):
        return f"{self.system} {self.operation} {self.status_code or 'error'}"


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    kind = models.CharField(max_length=40)
    rule = models.ForeignKey("AlertRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    key = models.CharField(max_length=200, help_text="What the alert is about; one open alert per key.")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notify_count = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(status="open"), name="alert_one_open_per_key"
            )
        ]

    def __str__(self):
        return f"[{self.severity}] {self.title}"


class AlertRule(models.Model):
    """A condition worth waking someone for, and where to say it. Edited in the admin.

    What each kind measures is in ``monitoring.alerts.evaluators.RULE_KINDS`` (and shown in
    the admin); ``threshold`` and ``window_minutes`` mean what that kind says they mean.
    """

    class Kind(models.TextChoices):
        DEAD_LETTERS = "dead_letters", "Dead letters above N"
        DEAD_LETTERS_WAITING = "dead_letters_waiting", "Dead letters waiting longer than T minutes, above N"
        CONSECUTIVE_FAILURES = "consecutive_failures", "N consecutive failed attempts on a flow"
        NO_SUCCESS = "no_success", "No successful sync for T minutes while events arrive"
        CURSOR_LAG = "cursor_lag", "Polling cursor behind by more than T minutes"
        AUTH_FAILING = "auth_failing", "Authentication failing on a connection"
        SF_BUDGET = "sf_budget", "Salesforce daily API budget above X%"
        ANOMALY = "anomaly", "Open anomaly or reconciliation findings above N"
        POLL_FAILING = "poll_failing", "A flow's polls failed more than N times in a row"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(max_length=10, choices=Alert.Severity.choices, default=Alert.Severity.WARNING)
    threshold = models.DecimalField(
        max_digits=12, decimal_places=2, default=0,
        help_text="N (count) or X (percent), depending on the kind. Fires when the measure is above it.",
    )
    window_minutes = models.PositiveIntegerField(default=60, help_text="T, for kinds that look at a time span.")
    flow = models.ForeignKey(
        "integrations.Flow", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules",
        help_text="Blank: every flow (one alert per flow).",
    )
    connection = models.ForeignKey(
        "integrations.Connection", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules",
        help_text="Blank: every connection (one alert per connection).",
    )
    email_to = models.CharField(max_length=500, blank=True, help_text="Comma-separated addresses.")
    # The chat webhook URL embeds its own token: encrypted at rest like connection secrets.
    webhook_url_encrypted = models.TextField(blank=True, editable=False)
    repeat_minutes = models.PositiveIntegerField(
        default=240, help_text="While still open, notify again at most this often (0 = never repeat)."
    )
    notify_on_resolve = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def webhook_url(self) -> str:
        """The Slack-compatible incoming webhook (decrypted; blank when none)."""
        return secret_decrypt(self.webhook_url_encrypted).get("url", "")

    @webhook_url.setter
    def webhook_url(self, value: str) -> None:
        self.webhook_url_encrypted = secret_encrypt({"url": value}) if value else ""

    def recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]


class AlertEvent(models.Model):
    """The history of one alert: opened, repeated, resolved, and what each channel said."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        REPEATED = "repeated", "Reminder sent"
        RESOLVED = "resolved", "Resolved"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    message = models.TextField(blank=True)
    deliveries = models.JSONField(default=list, blank=True, help_text="[{channel, ok, detail}] per channel.")

    class Meta:
        ordering = ["at", "id"]


class Finding(models.Model):
    """Something in the business data that looks wrong: an anomaly check or reconciliation hit.

    ``fingerprint`` identifies the same problem across runs, so a check that finds it again
    updates ``last_seen_at`` instead of adding a row; a finding no longer found is cleared.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed by finance"
        DISMISSED = "dismissed", "Dismissed"
        CLEARED = "cleared", "Cleared (no longer found)"

    check_name = models.CharField(max_length=40, db_index=True)
    fingerprint = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    title = models.CharField(max_length=300)
    explanation = models.TextField(blank=True, help_text="How it was computed, in plain words.")
    details = models.JSONField(default=dict, blank=True)
    records = models.JSONField(
        default=list, blank=True,
        help_text="Records involved: [{label, system, object_type, external_id, binding_id, sync_item_id, entity_id}].",
    )
    flow = models.ForeignKey("integrations.Flow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Who looks into it, as for a dead letter on Needs attention (the same list shows both).
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="Who is looking into it.")

    class Meta:
        ordering = ["-last_seen_at"]
        permissions = [("decide_finding", "Can confirm, dismiss, assign and annotate findings")]

    def __str__(self):
        return self.title


class FindingNote(Note):
    """One note of a finding's thread (what was looked at, who was asked, an assignment)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="notes")

    def __str__(self):
        return f"note by {self.username or 'someone'} on finding {self.finding_id}"


class FlowHourStat(models.Model):
    """Hourly rollup of one flow's work, so the dashboard never scans millions of rows.

    Items count in the hour they finished; retries in the hour the failed attempt started.
    ``latency_hist`` counts succeeded items per bucket of monitoring.rollups.LATENCY_BUCKETS_MS.
    """

    flow = models.ForeignKey("integrations.Flow", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    received = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    dead = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    latency_hist = models.JSONField(default=list)
    latency_sum_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "hour"], name="flowhourstat_unique")]
        indexes = [models.Index(fields=["hour"], name="flowhourstat_hour")]


class ApiHourStat(models.Model):
    """Hourly rollup of API calls per system and connection."""

    system = models.CharField(max_length=20)
    connection = models.ForeignKey("integrations.Connection", null=True, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0)
    duration_sum_ms = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["hour"], name="apihourstat_hour")]


class RollupState(models.Model):
    """How far the hourly rollups are complete (one row)."""

    name = models.CharField(max_length=40, unique=True)
    complete_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

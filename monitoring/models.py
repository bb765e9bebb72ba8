"""What happened: every sync attempt, every external API call, every alert.

These tables are the audit log. django-q2's own task tables are not (they are pruned and
hold pickles); finance reads these.
"""
from django.db import models


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

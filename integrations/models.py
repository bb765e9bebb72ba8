"""Core model: connections, the cross-system ID map, flows, cursors, inbound events, work items."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from config.crypto import secret_decrypt, secret_encrypt
from config.notes import Note
from config.outbound_urls import OutboundURLRefused, outbound_url_check


class System(models.TextChoices):
    FRESHBOOKS = "freshbooks", "FreshBooks"
    SALESFORCE = "salesforce", "Salesforce"
    INFOR = "infor", "Infor M3"
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class Connection(models.Model):
    """One account in one external system, with its credentials encrypted at rest."""

    class AuthKind(models.TextChoices):
        OAUTH2_CODE = "oauth2_code", "OAuth 2.0 authorization code"
        JWT_BEARER = "jwt_bearer", "OAuth 2.0 JWT bearer"
        CLIENT_CREDENTIALS = "client_credentials", "OAuth 2.0 client credentials"
        IONAPI = "ionapi", ".ionapi file (ION API Gateway)"
        SHARED_SECRET = "shared_secret", "Shared secret (webhook signing)"

    class TokenState(models.TextChoices):
        NONE = "none", "Not connected"
        VALID = "valid", "Valid"
        EXPIRING = "expiring", "Expiring"
        FAILING = "failing", "Failing"

    name = models.CharField(max_length=120, unique=True)
    system = models.CharField(max_length=20, choices=System.choices)
    environment = models.CharField(max_length=20, default="production", help_text="Label: dev, qa, production…")
    is_sandbox = models.BooleanField(default=False, help_text="Talks to Ledgerlink's built-in simulator.")
    is_active = models.BooleanField(default=True)
    base_url = models.URLField(max_length=300, blank=True, help_text="API root (instance URL for Salesforce).")
    auth_url = models.URLField(max_length=300, blank=True, help_text="OAuth / token root, when it differs.")
    auth_kind = models.CharField(max_length=24, choices=AuthKind.choices, default=AuthKind.OAUTH2_CODE)
    client_id = models.CharField(max_length=300, blank=True)
    settings = models.JSONField(default=dict, blank=True, help_text="Non-secret, system-specific settings.")
    secrets_encrypted = models.TextField(blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    token_state = models.CharField(max_length=10, choices=TokenState.choices, default=TokenState.NONE)
    last_auth_error = models.TextField(blank=True)
    api_usage = models.JSONField(default=dict, blank=True, help_text="Latest usage reported by the system.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # Named so that each staff page and admin action can check one (integrations/permissions.py).
        permissions = [
            ("connect_connection", "Can connect a connection to its system (OAuth “Connect”)"),
            ("test_connection", "Can test a connection against its system"),
            ("check_connection", "Can run the pre-flight checks of a connection or flow"),
            ("prepare_connection", "Can prepare a connected system for the flows (e.g. create Salesforce fields)"),
            ("register_webhooks_connection", "Can register a shop's webhook subscriptions through its API"),
            ("describe_connection", "Can describe a connected system's objects (their fields, for mappings and "
                                    "generic flows)"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_system_display()})"

    def clean(self):
        """Every URL Ledgerlink will call (or hand to the system) passes the outbound URL rule."""
        super().clean()
        errors: dict[str, list[str]] = {}
        for name, label in (("base_url", "base URL"), ("auth_url", "auth URL")):
            value = getattr(self, name)
            if value:
                try:
                    outbound_url_check(value, field=f"The {label}")
                except OutboundURLRefused as exc:
                    errors.setdefault(name, []).append(str(exc))
        for key, value in sorted((self.settings or {}).items()) if isinstance(self.settings, dict) else ():
            if key.endswith("_url") and value:
                try:
                    outbound_url_check(value, field=f"The setting {key}")
                except OutboundURLRefused as exc:
                    errors.setdefault("settings", []).append(str(exc))
        if errors:
            raise ValidationError(errors)

    # Secrets are one encrypted JSON object; nothing outside these methods sees ciphertext.
    def get_secrets(self) -> dict:
        if not hasattr(self, "_secrets_cache"):
            self._secrets_cache = secret_decrypt(self.secrets_encrypted)
        return dict(self._secrets_cache)

    def get_secret(self, name: str, default=None):
        return self.get_secrets().get(name, default)

    def set_secrets(self, **values) -> None:
        """Merge values into the stored secrets; a value of None removes that secret."""
        current = self.get_secrets()
        for key, value in values.items():
            if value is None or value == "":
                current.pop(key, None)
            else:
                current[key] = value
        self.secrets_encrypted = secret_encrypt(current)
        self._secrets_cache = current

    def secret_names(self) -> list[str]:
        return sorted(self.get_secrets())

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_secrets_cache", None)
        return super().refresh_from_db(*args, **kwargs)


class Entity(models.Model):
    """Our own id for one real-world thing across all systems."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        CONTACT = "contact", "Contact"
        DEAL = "deal", "Deal"
        INVOICE = "invoice", "Invoice"
        ORDER = "order", "Order"
        SHIPMENT = "shipment", "Shipment"
        PAYMENT = "payment", "Payment"
        EXPENSE = "expense", "Expense"
        JOURNAL = "journal", "GL journal"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The thing's name as finance says it (integrations/labels.py), stored when the engine binds it.
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "entities"

    def __str__(self):
        return self.label or f"{self.get_kind_display()} #{self.pk}"


class EntityLink(models.Model):
    """An edge of a deal chain: Opportunity → invoice → sales order → shipment → payment."""

    from_entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="links_out")
    to_entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="links_in")
    relation = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_entity", "to_entity", "relation"], name="entitylink_unique")
        ]


class Binding(models.Model):
    """The cross-reference: one record in one system ↔ one Entity."""

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="bindings")
    object_type = models.CharField(max_length=60)
    external_id = models.CharField(max_length=120)
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="bindings")
    remote_version = models.CharField(max_length=120, blank=True, help_text="Remote timestamp/version last seen.")
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    last_written_hash = models.CharField(max_length=64, blank=True, help_text="Hash of what we last wrote there.")
    last_written_payload = models.JSONField(default=dict, blank=True)
    last_written_at = models.DateTimeField(null=True, blank=True)
    last_seen_hash = models.CharField(max_length=64, blank=True, help_text="Hash of the record when last read.")
    extra = models.JSONField(default=dict, blank=True, help_text="e.g. invoice number, deep link.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "object_type", "external_id"], name="binding_unique_external"),
            models.UniqueConstraint(fields=["entity", "connection", "object_type"], name="binding_unique_entity"),
        ]
        indexes = [models.Index(fields=["external_id"], name="binding_external_id")]
        permissions = [("resync_binding", "Can resync a bound record")]

    def __str__(self):
        # By name when its entity has one: "Initrode — Opportunity 'Q4 licences' (salesforce Opportunity 006…)".
        where = f"{self.connection.system} {self.object_type} {self.external_id}"
        return f"{self.entity.label} ({where})" if self.entity.label else f"{where} → entity {self.entity_id}"


# Minutes between polls of a flow created without an interval: polling is the safety net under
# webhooks and change events, so a flow polls unless someone sets 0 (integrations/triggers/polling.py).
DEFAULT_POLL_INTERVAL_MINUTES = 15


class Flow(models.Model):
    """A configured route from one system's object to another's."""

    class Trigger(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        CHANGE_EVENT = "change_event", "Change event"
        POLL = "poll", "Poll schedule"

    class ConflictPolicy(models.TextChoices):
        FIELD_OWNER = "field_owner", "Per-field source of truth"
        NEWEST_WINS = "newest_wins", "Newest change wins"
        REVIEW = "review", "Hold for review"

    name = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=60, help_text="Flow handler in the flow registry.")
    source_connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="flows_out")
    source_object = models.CharField(max_length=60)
    target_connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="flows_in", null=True, blank=True
    )
    target_object = models.CharField(max_length=60, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.WEBHOOK)
    poll_interval_minutes = models.PositiveIntegerField(
        default=DEFAULT_POLL_INTERVAL_MINUTES,
        help_text=f"Minutes between polls of the source for what webhooks and change events missed (default "
                  f"{DEFAULT_POLL_INTERVAL_MINUTES}). 0 = never poll: the flow then relies on its live event "
                  "source alone, and is flagged when it has none.")
    mapping_set = models.ForeignKey(
        "mappings.MappingSet", null=True, blank=True, on_delete=models.PROTECT, related_name="flows"
    )
    conflict_policy = models.CharField(
        max_length=16, choices=ConflictPolicy.choices, default=ConflictPolicy.FIELD_OWNER
    )
    settings = models.JSONField(default=dict, blank=True, help_text="Flow-specific options.")
    max_attempts = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Blank: the global default.")
    enabled = models.BooleanField(default=True)
    # The last poll's failure, kept until a poll succeeds (integrations/triggers/polling.py);
    # shown on the flow's admin page and alertable (monitoring's "poll_failing" rule).
    poll_error = models.TextField(blank=True, editable=False, help_text="Why the last poll failed (blank: it did not).")
    poll_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    poll_failures = models.PositiveIntegerField(default=0, editable=False, help_text="Failed polls in a row.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("poll_flow", "Can poll a flow's source now"),
            ("backfill_flow", "Can backfill a flow"),
            ("reconcile_flow", "Can run a flow's reconciliation"),
            ("override_checks_flow", "Can enable a flow despite failing pre-flight checks, giving a reason"),
        ]

    def __str__(self):
        return self.title or self.name


class FlowCheckOverride(models.Model):
    """A flow enabled while blocking pre-flight checks failed: who, when, why, and which checks
    (operations/preflight.py). Kept as history and shown on the flow's admin page."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="check_overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    reason = models.TextField()
    failed_checks = models.JSONField(default=list, help_text="The failing checks overridden, as they were then.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.flow} enabled by {self.username or 'someone'} despite {len(self.failed_checks)} failing check(s)"


class Cursor(models.Model):
    """Polling watermark for one (connection, stream); only ever advanced after commit.

    A flow's own cursors (its poll, its delete poll, its backfill) name the flow by id, so
    renaming the flow keeps them; a cursor of the connection alone has no flow."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="cursors")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="cursors", null=True, blank=True)
    stream = models.CharField(max_length=80)
    value = models.CharField(max_length=120, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # A quiet source leaves the watermark where its last change was: this says the source was read
    # to its end then, so "behind" is judged against the source's own changes (monitoring.measures).
    caught_up_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Start of the last poll that read every change the source had (nothing newer was left).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "stream"], condition=models.Q(flow__isnull=True),
                                    name="cursor_unique_stream"),
            models.UniqueConstraint(fields=["connection", "flow", "stream"], condition=models.Q(flow__isnull=False),
                                    name="cursor_unique_flow_stream"),
        ]

    def __str__(self):
        owner = f"{self.connection.name}/{self.flow.name}" if self.flow_id else self.connection.name
        return f"{owner}/{self.stream} @ {self.value or '—'}"


class InboundEvent(models.Model):
    """Every webhook or change event received, raw, stored before we answer 2xx."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="inbound_events")
    dedupe_key = models.CharField(max_length=200)
    event_type = models.CharField(max_length=80, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=10, default="upsert", help_text="What the change was: upsert or delete.")
    headers = models.JSONField(default=dict, blank=True, help_text="Request headers, secrets removed.")
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="Parsed body.")
    signature_valid = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    detail = models.TextField(blank=True)
    duplicate_count = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "dedupe_key"], name="inboundevent_unique_dedupe")
        ]
        # Routing reads the events still waiting; the partial index stays as small as that backlog.
        indexes = [models.Index(fields=["connection", "id"], name="inboundevent_to_route",
                                condition=models.Q(status="received"))]

    def __str__(self):
        return f"{self.connection.system} {self.event_type} {self.object_id}"


class RouteWakeup(models.Model):
    """Per connection: a route task is queued and has not started yet (integrations.triggers.intake).

    Receivers set ``queued`` only when it is clear, and enqueue a route task only when they
    were the one to set it, so a burst of deliveries costs a few route tasks, not one each.
    The task clears it before it reads the waiting events, which closes the gap in between.
    """

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, primary_key=True,
                                      related_name="route_wakeup")
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"routing of connection {self.connection_id}: {'queued' if self.queued else 'idle'}"


class SubscriberLease(models.Model):
    """Who runs a connection's Pub/Sub subscriber (integrations/triggers/subscriber/lease.py).

    One row per connection. The holder renews ``lease_until`` every few seconds; another process
    takes the lease only once it has expired. Every store of events checks, in its own
    transaction, that the lease is still the storer's (fencing): a stalled former holder cannot
    store after losing it.
    """

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, primary_key=True,
                                      related_name="subscriber_lease")
    holder = models.CharField(max_length=120)
    lease_until = models.DateTimeField()
    acquired_at = models.DateTimeField()

    def __str__(self):
        return f"subscriber lease of connection {self.connection_id}: {self.holder}"


class PubSubSubscription(models.Model):
    """One Pub/Sub topic a connection's subscriber reads: where to resume and how it is doing."""

    class State(models.TextChoices):
        STARTING = "starting", "Starting"
        ACTIVE = "active", "Active"
        STANDBY = "standby", "Standby (another process holds the lease)"
        RECONNECTING = "reconnecting", "Reconnecting"
        FAILED = "failed", "Failed"
        STOPPED = "stopped", "Stopped"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="pubsub_subscriptions")
    topic = models.CharField(max_length=200, help_text="e.g. /data/OpportunityChangeEvent")
    replay_id = models.CharField(max_length=200, blank=True,
                                 help_text="Hex of the last stored replay id (opaque): the next start resumes after it.")
    last_event_at = models.DateTimeField(null=True, blank=True, help_text="Commit time of the last stored event.")
    last_keepalive_at = models.DateTimeField(null=True, blank=True, help_text="When the server last said the stream is alive.")
    events_stored = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=12, choices=State.choices, default=State.STARTING)
    last_error = models.TextField(blank=True)
    holder = models.CharField(max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Pub/Sub subscription"
        constraints = [models.UniqueConstraint(fields=["connection", "topic"], name="pubsub_subscription_unique_topic")]

    def __str__(self):
        return f"{self.topic} ({self.get_state_display()})"


class WebhookRejectionCount(models.Model):
    """Rejected webhook deliveries of one connection, per kind ("signature": 401, "other").

    Kept apart from the Connection row on purpose: anyone can send a rejected delivery, and
    counting it must not lock or rewrite the row every valid delivery reads. One row per
    (connection, kind), moved with an atomic ``count = count + 1``. No database foreign key
    either: an INSERT checking one would take a share lock on the connection row (Django still
    deletes these rows with their connection).
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, db_constraint=False,
                                   related_name="webhook_rejection_counts")
    kind = models.CharField(max_length=20)
    count = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    last_detail = models.CharField(max_length=300, blank=True, help_text="Why the latest one was rejected.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "kind"], name="webhookrejection_unique_kind")]

    def __str__(self):
        return f"{self.count} {self.kind} rejection(s) of connection {self.connection_id}"


class SyncItem(models.Model):
    """One record-level unit of work for one flow. Replay and resync act on these rows."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        SKIPPED = "skipped", "Skipped"
        RETRYING = "retrying", "Failed, will retry"
        DEAD = "dead", "Dead letter"
        HELD = "held", "Held for review"

    class Resolution(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        IGNORED = "ignored", "Ignored"

    OPEN_STATUSES = (Status.PENDING, Status.RETRYING)

    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="items")
    identity_key = models.CharField(max_length=200, help_text="Same key = same work; dedupes pending items.")
    source_object = models.CharField(max_length=60)
    source_id = models.CharField(max_length=120)
    action = models.CharField(max_length=16, default="upsert")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    wake_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the due-time dispatcher hands this parked item (a retry, a wait for a lock) to a worker.",
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True, help_text="A running item past this is stale.")
    inbound_event = models.ForeignKey(
        InboundEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_items"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children",
        help_text="The previous step of a chained flow.",
    )
    step = models.CharField(max_length=40, blank=True, help_text="Step name within a chained flow.")
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_items")
    hint = models.JSONField(default=dict, blank=True, help_text="What the trigger said (events are hints).")
    source_snapshot = models.JSONField(default=dict, blank=True)
    mapped_payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Target ids and what was done.")
    target_external_id = models.CharField(max_length=120, blank=True)
    last_error_class = models.CharField(max_length=80, blank=True)
    last_error = models.TextField(blank=True, help_text="Why it failed, in words finance can act on.")
    last_error_field = models.CharField(max_length=120, blank=True)
    received_at = models.DateTimeField(default=timezone.now, help_text="When the triggering change reached us.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The error console (operations/attention.py, causes.py). The cause is stored when the item
    # dies, as structured fields, so items failing for the same reason group without parsing sentences.
    cause_key = models.CharField(max_length=300, blank=True, db_index=True,
                                 help_text="Flow, step, error class and the table/field/value named.")
    cause_label = models.CharField(max_length=400, blank=True, help_text="The cause in words.")
    cause_fix = models.JSONField(default=dict, blank=True,
                                 help_text="What fixes the cause: e.g. {'value_table': name, 'key': value}.")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_items")
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True,
                                  help_text="A dead letter someone (or a later success) closed.")
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Edit & retry: mapped fields to override on the next attempt only (never written to the source).
    field_overrides = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["identity_key"],
                condition=models.Q(status__in=["pending", "retrying"]),
                name="syncitem_one_open_per_identity",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="syncitem_due"),
            models.Index(fields=["flow", "status"], name="syncitem_flow_status"),
            models.Index(fields=["source_object", "source_id"], name="syncitem_source"),
            models.Index(fields=["created_at"], name="syncitem_created"),
            # The monitoring rollup reads items by the hour they finished.
            models.Index(fields=["finished_at"], name="syncitem_finished"),
            # The due-time dispatcher (sync/wakeups.py) reads the earliest parked items twice a second.
            models.Index(fields=["wake_at"], name="syncitem_wake", condition=models.Q(wake_at__isnull=False)),
        ]
        permissions = [
            ("replay_syncitem", "Can replay or resync sync items"),
            ("resolve_syncitem", "Can resolve or ignore a dead letter, with a note"),
            ("assign_syncitem", "Can assign an item that needs attention"),
            ("note_syncitem", "Can add a note to an item that needs attention"),
            ("edit_retry_syncitem", "Can override mapped fields for one replay (Edit & retry)"),
            ("operate_api_syncitem", "Can use the operations API"),
        ]

    def __str__(self):
        return f"{self.flow.name} {self.source_object}:{self.source_id} [{self.status}]"


class DeadLetter(SyncItem):
    """Admin view of the dead-letter list (SyncItems with status dead)."""

    class Meta:
        proxy = True
        verbose_name = "dead letter"
        verbose_name_plural = "dead letters"


class Conflict(SyncItem):
    """Admin view of the conflicts waiting for finance (SyncItems held for review)."""

    class Meta:
        proxy = True
        verbose_name = "conflict"
        verbose_name_plural = "conflicts"


class ItemNote(Note):
    """One note of an item's thread on the Needs attention page."""

    item = models.ForeignKey(SyncItem, on_delete=models.CASCADE, related_name="notes")

    def __str__(self):
        return f"note by {self.username or 'someone'} on item {self.item_id}"


class ItemAction(models.Model):
    """The audit of what people (and the engine) did to items needing attention: assign, note,
    resolve, ignore, replay, edit & retry, replay of a cause group. A group's history is its
    actions by ``cause_key``."""

    item = models.ForeignKey(SyncItem, null=True, blank=True, on_delete=models.CASCADE, related_name="actions")
    cause_key = models.CharField(max_length=300, blank=True, db_index=True)
    action = models.CharField(max_length=30)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted; blank: Ledgerlink.")
    detail = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.action} by {self.username or 'Ledgerlink'} ({self.detail[:60]})"


class AttentionItem(SyncItem):
    """The admin's *Needs attention* page: dead letters and held conflicts nobody has resolved
    (operations/attention_admin.py), with open findings alongside."""

    class Meta:
        proxy = True
        verbose_name = "needs attention"
        verbose_name_plural = "needs attention"


class SyncLock(models.Model):
    """Lease lock rows: the per-record locks (integrations/locking.py), on PostgreSQL and SQLite alike."""

    key = models.CharField(max_length=200, unique=True)
    holder = models.CharField(max_length=120)
    expires_at = models.DateTimeField()


class ClusterHeartbeat(models.Model):
    """What one worker supervisor (``manage.py ledgerlink_worker``) last saw of its cluster.

    Written by the supervisor every few seconds from outside the task queue, so a wedged queue
    still reports itself; ``/readyz`` reads it through ``selectors.cluster_heartbeat_status``.
    ``last_progress_at``: a worker last started or finished a task; ``waiting``: tasks the cluster
    pulled from the broker that no worker has started yet.
    """

    class State(models.TextChoices):
        STARTING = "starting", "starting"
        RUNNING = "running", "running"
        WEDGED = "wedged", "wedged (restarting)"
        STOPPED = "stopped", "stopped"

    name = models.CharField(max_length=200, unique=True, help_text="host:pid of the supervisor")
    state = models.CharField(max_length=12, choices=State.choices)
    beat_at = models.DateTimeField()
    started_at = models.DateTimeField()
    last_progress_at = models.DateTimeField(null=True, blank=True)
    waiting = models.PositiveIntegerField(default=0)
    busy = models.PositiveIntegerField(default=0)
    restarts = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)

    def __str__(self):
        return f"worker cluster {self.name}: {self.state}"


class DescribedObject(models.Model):
    """An object as its system described itself (Salesforce describe), kept so the mapping
    schemas (connectors/registry.py mapping_schemas) and the canvas show it without calling the
    system again; read again by manage.py describe_objects and when a generic flow writes to it."""

    system = models.CharField(max_length=30)
    name = models.CharField(max_length=80)
    label = models.CharField(max_length=120, blank=True)
    fields = models.JSONField(default=list, help_text="[{name, type, length, required, label, picklist, createable, "
                                                     "updateable, external_id}] in describe order.")
    described_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="describedobject_unique_name")]

    def __str__(self):
        return f"{self.system} {self.name}"

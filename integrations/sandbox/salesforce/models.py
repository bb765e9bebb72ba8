"""State of the simulated Salesforce org. The simulator plays the external system, so it
keeps its own tables and never reads Ledgerlink's."""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class SfOrg(models.Model):
    """The one simulated org: its behaviour switches, API budget and injected faults."""

    org_id = models.CharField(max_length=18)
    name = models.CharField(max_length=120, default="Ledgerlink Sandbox Org")
    multi_currency = models.BooleanField(default=False, help_text="CurrencyIsoCode exists on records.")
    default_currency = models.CharField(max_length=3, default="USD")
    query_page_size = models.PositiveIntegerField(default=2000, help_text="Records per query batch (≤ 2000).")
    api_daily_limit = models.PositiveIntegerField(default=15000)
    api_used = models.PositiveIntegerField(default=0)
    api_window_day = models.DateField(default=timezone.localdate)
    sessions_valid_after = models.DateTimeField(null=True, blank=True, help_text="Tokens issued earlier are expired.")
    jwt_audiences = models.JSONField(default=list, blank=True, help_text="Accepted JWT aud values besides the defaults.")
    fault_lock_row = models.PositiveIntegerField(default=0, help_text="Next N writes fail with UNABLE_TO_LOCK_ROW.")
    fault_unavailable = models.PositiveIntegerField(default=0, help_text="Next N API calls answer 503.")
    currency_rounding = models.CharField(
        max_length=20, default="ROUND_HALF_UP", choices=[("ROUND_HALF_UP", "half up"), ("ROUND_HALF_EVEN", "half even")],
        help_text="How currency fields (TotalPrice, Amount) are rounded to the cent; Salesforce's rule is unconfirmed.")
    fault_unauthorized = models.PositiveIntegerField(
        default=0, help_text="Next N API calls answer 401 INVALID_SESSION_ID (a session expired early).")
    latency_ms = models.PositiveIntegerField(default=0, help_text="Added to every API call.")
    duplicate_rules = models.BooleanField(default=False, help_text="Block duplicate Account names / Contact emails.")
    # Unconfirmed in the docs: a parent without children shows its subquery field as null
    # (widely observed) rather than an empty QueryResult. Switchable.
    empty_subquery_null = models.BooleanField(default=True)
    upsert_legacy_204_max_version = models.DecimalField(
        max_digits=4, decimal_places=1, default=45.0,
        help_text="Upsert updates answer 204 without a body up to this API version, 200 after.")
    # getUpdated / getDeleted (data replication). The docs say start must precede end "by more
    # than one minute" (older pages: just precede it); both ignore seconds, so 2 whole minutes.
    replication_min_window_minutes = models.PositiveSmallIntegerField(
        default=2, help_text="getUpdated/getDeleted: start must precede end by at least this many whole minutes.")
    replication_lag_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Changes younger than this are still in flight: latestDateCovered stops before them.")
    replication_id_limit = models.PositiveIntegerField(
        default=600000, help_text="More ids than this in one window answer EXCEEDED_ID_LIMIT.")
    delete_log_purged_before = models.DateTimeField(
        null=True, blank=True, help_text="The delete log was purged up to here (earliestDateAvailable).")
    # Unconfirmed which one Salesforce does for a getDeleted start before the purge: the SOAP
    # rules say INVALID_REPLICATION_DATE, the REST page says the result's earliestDateAvailable
    # tells you to resync. Switchable; the connector handles both.
    purged_window_error = models.BooleanField(
        default=True, help_text="A getDeleted start before the purge answers INVALID_REPLICATION_DATE "
                                "(off: a result whose earliestDateAvailable is later than start).")
    # Pub/Sub API (integrations/sandbox/salesforce/pubsub/).
    cdc_entities = models.CharField(
        max_length=500, blank=True,
        help_text="Entities with Change Data Capture enabled, comma-separated; blank = every CDC entity.")
    pubsub_retention_hours = models.PositiveIntegerField(
        default=72, help_text="Change events older than this cannot be replayed (Salesforce keeps 72 h).")
    pubsub_keepalive_seconds = models.PositiveIntegerField(
        default=270, help_text="An idle Subscribe stream gets an empty FetchResponse within this many seconds.")
    pubsub_replay_valid_after = models.DateTimeField(
        null=True, blank=True, help_text="Events committed earlier are outside retention ('expire replay ids').")
    pubsub_streams_dropped_at = models.DateTimeField(
        null=True, blank=True, help_text="Subscribe streams opened earlier end with UNAVAILABLE ('drop streams').")
    # Off = a fresh org: only standard fields plus the custom fields created in it through the
    # Tooling API (what Prepare Salesforce does), so the check → prepare → check path is real.
    custom_fields_installed = models.BooleanField(
        default=True, help_text="Ledgerlink's custom fields (FreshBooks_…__c, Payment_Status__c, …) already exist "
                                "with access for every user (off: a fresh org without them).")


class SfUser(models.Model):
    sf_id = models.CharField(max_length=18, unique=True)
    username = models.CharField(max_length=80, unique=True)
    name = models.CharField(max_length=121)
    email = models.EmailField()


class SfConnectedApp(models.Model):
    name = models.CharField(max_length=120)
    consumer_key = models.CharField(max_length=120, unique=True)
    consumer_secret = models.CharField(max_length=120)
    redirect_uris = models.TextField(blank=True, help_text="One callback URL per line.")
    require_secret = models.BooleanField(default=True, help_text="Require the secret for web-server/refresh flows.")
    rotate_refresh_tokens = models.BooleanField(default=False)
    session_timeout_seconds = models.PositiveIntegerField(default=7200)
    jwt_certificate = models.TextField(blank=True, help_text="PEM certificate (or public key) for JWT bearer.")
    run_as = models.ForeignKey(SfUser, null=True, blank=True, on_delete=models.SET_NULL,
                               help_text="Client credentials flow runs as this user.")
    scopes = models.CharField(max_length=200, default="api refresh_token id")

    def redirect_uri_list(self) -> list[str]:
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]


class SfCustomField(models.Model):
    """A custom field created at run time through the Tooling API (CustomField). Describe,
    SOQL, writes and change events see it; the API user reads or edits it only once a
    permission set grants it (FieldPermissions), as field-level security does."""

    sf_id = models.CharField(max_length=18, unique=True)
    sobject = models.CharField(max_length=60)
    developer_name = models.CharField(max_length=40, help_text="Without the __c suffix.")
    type = models.CharField(max_length=20, help_text="Describe type: string, currency, date, picklist, …")
    label = models.CharField(max_length=40)
    length = models.PositiveIntegerField(default=0)
    precision = models.PositiveSmallIntegerField(default=0)
    scale = models.PositiveSmallIntegerField(default=0)
    external_id = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    picklist = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, help_text="The Metadata it was created with.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sobject", "developer_name"], name="sfcustomfield_unique_name")]

    @property
    def name(self) -> str:
        return f"{self.developer_name}__c"


class SfAuthCode(models.Model):
    code = models.CharField(max_length=120, unique=True)
    app = models.ForeignKey(SfConnectedApp, on_delete=models.CASCADE)
    user = models.ForeignKey(SfUser, on_delete=models.CASCADE)
    redirect_uri = models.CharField(max_length=500)
    code_challenge = models.CharField(max_length=200, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    scope = models.CharField(max_length=200, blank=True)
    used = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


class SfToken(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access"
        REFRESH = "refresh"

    token = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    app = models.ForeignKey(SfConnectedApp, on_delete=models.CASCADE)
    user = models.ForeignKey(SfUser, on_delete=models.CASCADE)
    family = models.CharField(max_length=40, help_text="Grant lineage: revoking one revokes the family.")
    grant_type = models.CharField(max_length=60)
    scope = models.CharField(max_length=200, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    # The instance URL the token response named: the Pub/Sub API checks a client's `instanceurl` against it.
    instance_url = models.CharField(max_length=500, blank=True)
    revoked = models.BooleanField(default=False)
    rotated = models.BooleanField(default=False, help_text="A refresh token replaced by rotation.")


class SfRecord(models.Model):
    """One record of any object; field values are stored in their API (JSON) form."""

    sobject = models.CharField(max_length=60, db_index=True)
    sf_id = models.CharField(max_length=18, unique=True)
    fields = models.JSONField(default=dict)
    is_deleted = models.BooleanField(default=False)
    system_modstamp = models.DateTimeField(default=timezone.now, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sobject", "is_deleted"], name="sfrecord_object_deleted")]


class SfDeleteLog(models.Model):
    """What getDeleted reads (hard-deleted line items stay here until purged)."""

    sobject = models.CharField(max_length=60)
    sf_id = models.CharField(max_length=18)
    deleted_at = models.DateTimeField(default=timezone.now, db_index=True)


class SfQueryLocator(models.Model):
    """The rest of a query result, served page by page through nextRecordsUrl."""

    locator = models.CharField(max_length=18, unique=True)
    records = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)


class SfSubscription(models.Model):
    """An endpoint that receives the org's change events (Ledgerlink's receiver)."""

    class Auth(models.TextChoices):
        HMAC = "hmac", "X-Ledgerlink-Signature (HMAC-SHA256)"
        BEARER = "bearer", "Authorization: Bearer"

    class Shape(models.TextChoices):
        COMETD = "cometd", "CometD (changedFields as names)"
        PUBSUB = "pubsub", "Pub/Sub decoded (changedFields as bitmap)"

    name = models.CharField(max_length=120)
    endpoint = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    auth = models.CharField(max_length=8, choices=Auth.choices, default=Auth.HMAC)
    shape = models.CharField(max_length=8, choices=Shape.choices, default=Shape.COMETD)
    entities = models.CharField(max_length=300, blank=True, help_text="Comma-separated; blank = all.")
    active = models.BooleanField(default=True)

    def wants(self, entity: str) -> bool:
        names = {e.strip().lower() for e in self.entities.split(",") if e.strip()}
        return not names or entity.lower() in names


class SfChangeEvent(models.Model):
    """One change event, recorded inside the writer's transaction. The HTTP relay's replay id is
    the primary key; the Pub/Sub bus orders by bus_seq, which the Pub/Sub server assigns after
    commit (primary keys are not commit order under concurrent writers)."""

    entity = models.CharField(max_length=60)
    change_type = models.CharField(max_length=20)
    record_ids = models.JSONField(default=list)
    header = models.JSONField(default=dict)
    fields = models.JSONField(default=dict, help_text="Changed (or, on create, all non-null) field values.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    bus_seq = models.BigIntegerField(null=True, blank=True, unique=True,
                                     help_text="Position on the Pub/Sub bus (commit order); set after commit.")


class SfPubSubServer(models.Model):
    """The running Pub/Sub server's heartbeat, for the settings page (one row per address)."""

    address = models.CharField(max_length=120, unique=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    stopped = models.BooleanField(default=False)


class SfDelivery(models.Model):
    """Outbox row: one event to one subscription, sent by the background worker."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    event = models.ForeignKey(SfChangeEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(SfSubscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

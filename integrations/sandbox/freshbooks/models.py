"""State of the simulated FreshBooks system.

The simulator plays FreshBooks itself, so nothing here refers to Ledgerlink's own models:
accounts, people, OAuth apps and tokens, accounting records, webhook callbacks and the
outbox of webhook deliveries all live in these tables.
"""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.db import models
from django.utils import timezone

# Behaviours the public documentation leaves open ([UNCONFIRMED] in the API reference).
# Each simulated account can change them from its page or from a test.
OPTION_DEFAULTS: dict = {
    # Does a PUT with `lines` replace every line (True) or update/append by lineid (False)?
    "invoice_lines_replace_on_update": True,
    # Fields an expense create must carry (the docs mark them only by styling).
    "expense_required_fields": ["amount", "categoryid", "date", "staffid"],
    # Can credit notes be created through the API (the reference lists the resource, not its create)?
    "credit_notes_writable": True,
    # Fields an invoice create must carry.
    "invoice_required_fields": ["customerid", "create_date"],
    # HTTP status of webhook-callback validation errors (the body says errno 422; an SDK test mocks 400).
    "callback_validation_status": 422,
    # Does the callback.verify POST also carry business_id and identity_id?
    "verify_includes_business_ids": False,
    # Does recording a payment also send invoice.update?
    "payment_emits_invoice_update": True,
    # Delivery attempts before a webhook delivery is given up.
    "delivery_max_attempts": 5,
    # How a line amount (qty × unit_cost) and the invoice total are rounded to the cent: the docs
    # give amounts as decimal strings but no rule, so a Python decimal rounding name.
    "money_rounding": "ROUND_HALF_UP",
    # The scope object of items/items: `billable_items` is inferred from the scope list (scopes.py).
    "items_scope_object": "billable_items",
    # Does registering a webhook callback need the read scope of the event's object? ("The scope
    # required is based on the webhook being registered"; which one is not stated.)
    "callback_needs_event_scope": True,
}


class SimAccount(models.Model):
    """One FreshBooks business with its accounting account."""

    account_id = models.CharField(max_length=12, unique=True)
    business_id = models.PositiveIntegerField(unique=True)
    business_uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=200)
    currency_code = models.CharField(max_length=3, default="USD")
    last_invoice_number = models.CharField(max_length=40, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="Overrides of OPTION_DEFAULTS.")
    # Fault injection: counters are consumed one request (or delivery) at a time.
    fault_429_remaining = models.PositiveIntegerField(default=0)
    fault_retry_after = models.PositiveIntegerField(default=30)
    fault_5xx_remaining = models.PositiveIntegerField(default=0)
    fault_5xx_status = models.PositiveSmallIntegerField(default=503)
    fault_latency_ms = models.PositiveIntegerField(default=0)
    fault_409_remaining = models.PositiveIntegerField(default=0, help_text="Invoice-number collisions to simulate.")
    fault_401_remaining = models.PositiveIntegerField(
        default=0, help_text="Next N API requests answer 401 (the token expired early), whatever token they carry.")
    fault_drop_deliveries = models.PositiveIntegerField(default=0)
    fault_duplicate_deliveries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.account_id})"

    def option(self, name: str):
        return self.options.get(name, OPTION_DEFAULTS[name])


class SimUser(models.Model):
    """A FreshBooks identity (a person who can sign in)."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    identity_uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.email


class SimMembership(models.Model):
    """A user's role in a business; a `client` role has no accounting account of its own."""

    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(SimAccount, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, default="owner")
    legacy_user_id = models.PositiveIntegerField(default=1, help_text="The per-account `user_id` in events.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "account"], name="sim_fb_membership_unique")]


class SimApp(models.Model):
    """An OAuth application registered with FreshBooks."""

    name = models.CharField(max_length=120)
    client_id = models.CharField(max_length=120, unique=True)
    client_secret = models.CharField(max_length=120)
    redirect_uris = models.TextField(blank=True, help_text="One per line, exactly as the authorize request sends "
                                                           "it: https, no query string. None registered: none accepted.")
    local_sandbox = models.BooleanField(
        default=False, help_text="Simulator only: also accept http:// redirect URIs (the local demo). Real "
                                 "FreshBooks requires https and its portal refuses http://localhost.")
    scopes = models.TextField(blank=True, help_text="Scopes enabled on the app registration (space-separated); "
                                                    "empty: every scope FreshBooks knows.")
    token_lifetime_seconds = models.PositiveIntegerField(default=43200)

    def __str__(self):
        return self.name

    def redirect_uri_list(self) -> list[str]:
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]

    def redirect_uri_problem(self, uri: str) -> str:
        """Why FreshBooks would refuse this redirect URI for this app ("" when it accepts it)."""
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "redirect_uri is missing or is not an absolute URL."
        if parts.scheme != "https" and not self.local_sandbox:
            return "redirect_uri must use https."
        if parts.query or parts.fragment:
            return "redirect_uri may not contain a query string (pass data in state)."
        if uri not in self.redirect_uri_list():
            return "redirect_uri is not one of the application's registered redirect URIs."
        return ""

    def scopes_enabled(self) -> set[str] | None:
        """The scopes the registration enables; None: every known scope."""
        names = self.scopes.split()
        return set(names) if names else None


class SimGrant(models.Model):
    """An authorization code (valid five minutes, once)."""

    code = models.CharField(max_length=80, unique=True)
    app = models.ForeignKey(SimApp, on_delete=models.CASCADE)
    user = models.ForeignKey(SimUser, on_delete=models.CASCADE)
    redirect_uri = models.CharField(max_length=500)
    scope = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)


class SimToken(models.Model):
    """An access/refresh pair. A refresh token works exactly once."""

    access_token = models.CharField(max_length=200, unique=True)
    refresh_token = models.CharField(max_length=80, unique=True)
    app = models.ForeignKey(SimApp, on_delete=models.CASCADE, related_name="tokens")
    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="tokens")
    scope = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    refresh_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    refreshed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)


class SimObject(models.Model):
    """One accounting record (client, invoice, payment, expense, category, item, tax, credit note).

    The API id is the row id, so ids are unique across kinds, as large integers are in FreshBooks.
    """

    account = models.ForeignKey(SimAccount, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(max_length=20)
    vis_state = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "kind"], name="sim_fb_object_kind")]
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind} {self.pk}"


class SimCallback(models.Model):
    """A registered webhook callback; notifications flow only once it is verified."""

    account = models.ForeignKey(SimAccount, on_delete=models.CASCADE, related_name="callbacks")
    event = models.CharField(max_length=60)
    uri = models.URLField(max_length=500)
    verifier = models.CharField(max_length=60)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class SimDelivery(models.Model):
    """The outbox: one webhook POST to make (or made), with what the receiver answered."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"
        DROPPED = "dropped", "Dropped (fault injection)"

    account = models.ForeignKey(SimAccount, on_delete=models.CASCADE, related_name="deliveries")
    callback = models.ForeignKey(SimCallback, null=True, blank=True, on_delete=models.SET_NULL)
    uri = models.URLField(max_length=500)
    name = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    body = models.TextField(help_text="Form-encoded, in the order sent.")
    signature = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

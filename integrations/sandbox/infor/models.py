"""State of the simulated Infor M3 tenant (ION API Gateway + M3 business data).

Tables are named after the M3 files they stand in for (OCUSMA customers, OOHEAD/OOLINE
orders, OINVOH/FSLEDG invoices and AR ledger, FPLEDG-like payment batches, FGLINH/FGLINF
GL interface batches, FCHACC chart of accounts, CSYTAB code tables). Values are kept as
M3 keeps them: codes as strings, amounts as decimals, dates as YYYYMMDD strings.
"""
from __future__ import annotations

from django.db import models


class AuthorizedApp(models.Model):
    """An ION API 'Backend Service' authorized app: what the tenant admin downloads as .ionapi."""

    tenant = models.CharField(max_length=22)
    name = models.CharField(max_length=60)
    client_id = models.CharField(max_length=120, unique=True)
    client_secret = models.CharField(max_length=120)
    service_account_access_key = models.CharField(max_length=120, blank=True)
    service_account_secret_key = models.CharField(max_length=120, blank=True)
    access_token_seconds = models.PositiveIntegerField(default=7200)
    issue_refresh_tokens = models.BooleanField(default=True)
    tokens_valid_after = models.FloatField(default=0, help_text="Access tokens issued before this epoch second are expired.")

    def __str__(self):
        return f"{self.tenant}/{self.name}"


class Revocation(models.Model):
    """A revoked grant (refresh token revoked: the whole grant) or one revoked/expired access token.

    Tokens themselves are signed and self-contained, so issuing one writes nothing: a
    client may ask for a token while its own database transaction holds SQLite's write lock.
    """

    app = models.ForeignKey(AuthorizedApp, on_delete=models.CASCADE, related_name="revocations")
    grant = models.CharField(max_length=40, blank=True)
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    reason = models.CharField(max_length=20, default="revoked")
    created_at = models.DateTimeField(auto_now_add=True)


class Fault(models.Model):
    """Injected gateway misbehaviour on M3 calls, consumed one request at a time (set on the browser page)."""

    class Kind(models.TextChoices):
        UNAUTHORIZED = "401", "401 token expired"
        TOO_MANY = "429", "429 too many requests"
        UNAVAILABLE = "503", "503 service unavailable"
        LATENCY = "latency", "Slow answers"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    remaining = models.PositiveIntegerField(default=1, help_text="Requests still affected.")
    retry_after = models.PositiveIntegerField(default=1, help_text="Seconds, sent as Retry-After on 429/503.")
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)


class NumberSeries(models.Model):
    """CRS165-like number series: customers, temporary and real order numbers, invoices, vouchers."""

    name = models.CharField(max_length=20, unique=True)
    next_value = models.BigIntegerField()


class CodeEntry(models.Model):
    """CSYTAB-like general codes: STCO (constant) + STKY (key) → TX40 (description)."""

    stco = models.CharField(max_length=10)
    stky = models.CharField(max_length=15)
    tx15 = models.CharField(max_length=15, blank=True)
    tx40 = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stco", "stky"], name="sim_infor_code_unique")]


class Account(models.Model):
    """FCHACC-like chart of accounts entry for accounting dimension AITP (1 = account)."""

    aitp = models.CharField(max_length=1, default="1")
    aitm = models.CharField(max_length=8)
    tx40 = models.CharField(max_length=40)
    aicl = models.CharField(max_length=1, default="1", help_text="1 balance sheet, 2 profit and loss")
    blocked = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["aitp", "aitm"], name="sim_infor_account_unique")]


class Item(models.Model):
    """MITMAS-like item master: order lines must name an existing item."""

    itno = models.CharField(max_length=15, unique=True)
    itds = models.CharField(max_length=30)
    sapr = models.DecimalField(max_digits=17, decimal_places=2, default=0)
    fuds = models.CharField(max_length=60, blank=True)
    unms = models.CharField(max_length=3, default="PCS")
    itty = models.CharField(max_length=3, blank=True)
    stat = models.CharField(max_length=2, default="20")
    itgr = models.CharField(max_length=5, blank=True)
    itcl = models.CharField(max_length=5, blank=True)
    lmdt = models.CharField(max_length=8, blank=True)
    lmts = models.BigIntegerField(default=0)  # change stamp (polling)


class Customer(models.Model):
    """OCUSMA-like customer master."""

    cono = models.CharField(max_length=3, default="100")
    cuno = models.CharField(max_length=10, unique=True)
    cutm = models.CharField(max_length=10, blank=True)
    cunm = models.CharField(max_length=36)
    cua1 = models.CharField(max_length=36, blank=True)
    cua2 = models.CharField(max_length=36, blank=True)
    cua3 = models.CharField(max_length=36, blank=True)
    cua4 = models.CharField(max_length=36, blank=True)
    town = models.CharField(max_length=20, blank=True)
    pono = models.CharField(max_length=10, blank=True)
    cscd = models.CharField(max_length=3, blank=True)
    phno = models.CharField(max_length=16, blank=True)
    mail = models.CharField(max_length=50, blank=True)
    yref = models.CharField(max_length=30, blank=True)
    cutp = models.CharField(max_length=1, default="0")
    stat = models.CharField(max_length=2, default="20")
    cucl = models.CharField(max_length=3, blank=True)
    cucd = models.CharField(max_length=3, blank=True)
    pycd = models.CharField(max_length=3, blank=True)
    tepy = models.CharField(max_length=3, blank=True)
    rgdt = models.CharField(max_length=8)
    lmdt = models.CharField(max_length=8)
    lmts = models.BigIntegerField(help_text="Change timestamp (milliseconds), M3's LMTS.")

    class Meta:
        ordering = ["cuno"]


class Order(models.Model):
    """OOHEAD-like customer order; temp_orno is the batch number until Confirm."""

    class Stage(models.TextChoices):
        BATCH = "batch", "Batch entry (not confirmed)"
        CONFIRMED = "confirmed", "Confirmed"

    cono = models.CharField(max_length=3, default="100")
    temp_orno = models.CharField(max_length=10, unique=True)
    orno = models.CharField(max_length=10, blank=True, db_index=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.BATCH)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    cuor = models.CharField(max_length=20, blank=True, db_index=True)
    ortp = models.CharField(max_length=3, blank=True)
    whlo = models.CharField(max_length=3, blank=True)
    cucd = models.CharField(max_length=3, blank=True)
    pycd = models.CharField(max_length=3, blank=True)
    tepy = models.CharField(max_length=3, blank=True)
    yref = models.CharField(max_length=30, blank=True)
    ordt = models.CharField(max_length=8)
    lmts = models.BigIntegerField()

    class Meta:
        ordering = ["-id"]

    def statuses(self) -> tuple[str, str]:
        """(ORSL, ORST): the lowest and highest line status, as M3 shows them on the head."""
        values = [line.orst for line in self.lines.all()]
        if not values:
            return ("05", "05") if self.stage == self.Stage.BATCH else ("22", "22")
        return min(values), max(values)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    ponr = models.PositiveIntegerField()
    itno = models.CharField(max_length=15)
    itds = models.CharField(max_length=30, blank=True)
    orqt = models.DecimalField(max_digits=15, decimal_places=6)
    sapr = models.DecimalField(max_digits=17, decimal_places=6)
    # Discount percentage 1 as AddBatchLine received it; the reference does not say how M3 prices it, so the
    # simulator keeps it on the line (LstLine returns it) without changing the line amount.
    dip1 = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    orst = models.CharField(max_length=2, default="22")
    dlqt = models.DecimalField(max_digits=15, decimal_places=6, default=0)
    ivqt = models.DecimalField(max_digits=15, decimal_places=6, default=0)

    class Meta:
        ordering = ["ponr"]
        constraints = [models.UniqueConstraint(fields=["order", "ponr"], name="sim_infor_line_unique")]

    @property
    def amount(self):
        return (self.orqt * self.sapr).quantize(self.sapr.__class__("0.01"))


class Invoice(models.Model):
    """A customer invoice: OIS350 head (OINVOH) and its AR ledger entry (FSLEDG) in one row."""

    yea4 = models.CharField(max_length=4)
    ivno = models.CharField(max_length=15)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    ivdt = models.CharField(max_length=8)
    dudt = models.CharField(max_length=8)
    cucd = models.CharField(max_length=3)
    pycd = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=17, decimal_places=2)
    paid = models.DecimalField(max_digits=17, decimal_places=2, default=0)
    jrno = models.CharField(max_length=7)
    jsno = models.CharField(max_length=7, default="1")
    reco = models.CharField(max_length=1, default="0", help_text="9 = fully paid (reconciled)")
    rede = models.CharField(max_length=8, blank=True, help_text="Reconciliation date")

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["yea4", "ivno"], name="sim_infor_invoice_unique")]

    @property
    def remaining(self):
        return self.amount - self.paid


class PaymentBatch(models.Model):
    """ARS040 batch payment: created, lines added, then controlled (verified and allocated)."""

    class Stage(models.TextChoices):
        OPEN = "open", "Open"
        UPDATED = "updated", "Controlled and updated"

    pbid = models.CharField(max_length=10, unique=True)
    bope = models.CharField(max_length=3)
    baan = models.CharField(max_length=10, blank=True)
    acdt = models.CharField(max_length=8)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class PaymentLine(models.Model):
    batch = models.ForeignKey(PaymentBatch, on_delete=models.CASCADE, related_name="lines")
    trno = models.CharField(max_length=7)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payment_lines")
    pyam = models.DecimalField(max_digits=17, decimal_places=2)
    pytp = models.CharField(max_length=2, blank=True)
    cucd = models.CharField(max_length=3, blank=True)
    lpdt = models.CharField(max_length=8, blank=True)
    ckno = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["trno"]
        constraints = [models.UniqueConstraint(fields=["batch", "trno"], name="sim_infor_payline_unique")]


class GlBatch(models.Model):
    """GLS840 generic GL interface batch: head, field lines, control (validate), update (post)."""

    class Stage(models.TextChoices):
        OPEN = "open", "Open"
        CONTROLLED = "controlled", "Controlled (valid)"
        UPDATED = "updated", "Updated (posted)"

    key1 = models.CharField(max_length=15, unique=True)
    intn = models.CharField(max_length=15)
    desc = models.CharField(max_length=40)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.OPEN)
    vono = models.CharField(max_length=8, blank=True, help_text="Voucher number given on update")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class GlLine(models.Model):
    batch = models.ForeignKey(GlBatch, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField()
    inri = models.CharField(max_length=2)
    ait1 = models.CharField(max_length=8, blank=True)
    ait2 = models.CharField(max_length=8, blank=True)
    cucd = models.CharField(max_length=3, blank=True)
    cuam = models.DecimalField(max_digits=17, decimal_places=2, default=0)
    acam = models.DecimalField(max_digits=17, decimal_places=2, default=0)
    dbcr = models.CharField(max_length=1, blank=True)
    acdt = models.CharField(max_length=8, blank=True)
    vtcd = models.CharField(max_length=2, blank=True)
    vtxt = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="sim_infor_glline_unique")]

"""Mapping configuration: data edited in the admin, never code.

A MappingSet is versioned: drafts are edited, one version per name is published (the one flows
use), earlier published versions are retired and kept as history. FieldMappings form a tree:
a "list" mapping iterates a source list (e.g. Opportunity line items) and its children map
each item into one element of the target list (e.g. invoice lines).
"""
from django.conf import settings
from django.db import models


class MappingSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=120, help_text="Stable name flows look the set up by.")
    source_system = models.CharField(max_length=20)
    source_object = models.CharField(max_length=60)
    target_system = models.CharField(max_length=20)
    target_object = models.CharField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="mappingset_unique_version")]

    def __str__(self):
        return f"{self.name} v{self.version} ({self.status})"

    @property
    def is_editable(self) -> bool:
        # Published and retired versions are history: change them through a new draft.
        return self.status == self.Status.DRAFT


class FieldMapping(models.Model):
    class Kind(models.TextChoices):
        FIELD = "field", "Field"
        LIST = "list", "List (child mappings per item)"

    class TooLong(models.TextChoices):
        TRUNCATE = "truncate", "Truncate"
        FAIL = "fail", "Fail"

    mapping_set = models.ForeignKey(MappingSet, on_delete=models.CASCADE, related_name="field_mappings")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children",
        help_text="The list mapping this one belongs to; its paths are relative to the list item.",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FIELD)
    target_field = models.CharField(
        max_length=200, help_text="Dotted path in the target payload, e.g. unit_cost.amount or lines[1].AIT1."
    )
    label = models.CharField(max_length=120, blank=True, help_text="Words used in error messages, e.g. 'unit price'.")
    item_label = models.CharField(
        max_length=120, blank=True, help_text="List mappings: what one item is called, e.g. 'Invoice line'."
    )
    source_path = models.CharField(
        max_length=300, blank=True,
        help_text="Dotted path in the source record (Account.Name, OpportunityLineItems.records, lines[0].qty); "
        "$root. reaches the top-level record from inside a list. Blank: start from nothing (constant, template…).",
    )
    transforms = models.JSONField(
        default=list, blank=True,
        help_text='Chain applied in order: [{"name": "to_decimal"}, {"name": "round", "args": {"places": 2}}].',
    )
    default = models.JSONField(null=True, blank=True, help_text="Used when the result is blank (null = no default).")
    required = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    on_too_long = models.CharField(max_length=8, choices=TooLong.choices, default=TooLong.TRUNCATE)
    condition = models.JSONField(
        null=True, blank=True,
        help_text='Only map when: {"field": "StageName", "op": "eq", "value": "Closed Won"}; '
        '{"target": "status", …} tests another mapped field; {"all": […]} / {"any": […]} / {"not": …}.',
    )
    order = models.PositiveIntegerField(default=0)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["mapping_set", "order", "id"]

    def __str__(self):
        return f"{self.target_field} ← {self.source_path or '(computed)'}"


class ValueTable(models.Model):
    """Source value → target value, e.g. expense category → GL account code.

    Like a mapping set, a table is changed through a draft: the published rows (``entries``,
    ``case_insensitive``, ``default_value``) are the only ones the engine reads; the draft
    (``draft_entries`` and the ``draft_*`` fields) is edited, previewed on recent records, then
    published as a new ValueTableVersion (mappings/value_tables.py)."""

    name = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    case_insensitive = models.BooleanField(default=True, help_text="'PayPal' matches 'paypal'.")
    default_value = models.CharField(
        max_length=200, null=True, blank=True, help_text="Used for values not in the table (blank = none: error)."
    )
    draft_case_insensitive = models.BooleanField(
        "case insensitive (draft)", default=True, help_text="'PayPal' matches 'paypal'. Takes effect when published.")
    draft_default_value = models.CharField(
        "default value (draft)", max_length=200, null=True, blank=True,
        help_text="Used for values not in the table (blank = none: error). Takes effect when published.")
    draft_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the open draft was started from the published rows (empty: no draft).")

    class Meta:
        ordering = ["name"]
        permissions = [("publish_valuetable", "Can edit value table drafts and publish them")]

    def __str__(self):
        return self.name


class ValueRow(models.Model):
    """Source value → target value: a published row or a draft row of a value table."""

    source_value = models.CharField(max_length=200)
    target_value = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.source_value} → {self.target_value}"


class ValueTableEntry(ValueRow):
    table = models.ForeignKey(ValueTable, on_delete=models.CASCADE, related_name="entries")

    class Meta:
        ordering = ["table", "source_value"]
        verbose_name_plural = "value table entries"
        constraints = [
            models.UniqueConstraint(fields=["table", "source_value"], name="valuetableentry_unique_source")
        ]


class ValueTableDraftEntry(ValueRow):
    """A row of a value table's draft: not read by the engine until the draft is published."""

    table = models.ForeignKey(ValueTable, on_delete=models.CASCADE, related_name="draft_entries")

    class Meta:
        ordering = ["table", "source_value"]
        verbose_name = "draft row"
        verbose_name_plural = "draft rows (published when you publish the draft)"
        constraints = [
            models.UniqueConstraint(fields=["table", "source_value"], name="valuetabledraftentry_unique_source")
        ]


class ValueTableVersion(models.Model):
    """One publication of a value table: who, when, the rows then in force and the diff."""

    table = models.ForeignKey(ValueTable, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    entries = models.JSONField(default=dict, help_text="source value: target value, as published")
    case_insensitive = models.BooleanField(default=True)
    default_value = models.CharField(max_length=200, null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="key: [before, after] (null: absent)")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["table", "-version"]
        constraints = [models.UniqueConstraint(fields=["table", "version"], name="valuetableversion_unique")]

    def __str__(self):
        return f"{self.table} v{self.version}"


class CurrencyRate(models.Model):
    """1 unit of from_currency = rate units of to_currency, on date (from source)."""

    from_currency = models.CharField(max_length=3)
    to_currency = models.CharField(max_length=3)
    date = models.DateField()
    rate = models.DecimalField(max_digits=24, decimal_places=10)
    source = models.CharField(max_length=20, default="manual", help_text="manual, ecb, …")

    class Meta:
        ordering = ["from_currency", "to_currency", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_currency", "to_currency", "date", "source"], name="currencyrate_unique_day"
            )
        ]
        indexes = [models.Index(fields=["from_currency", "to_currency", "date"], name="currencyrate_lookup")]

    def __str__(self):
        return f"1 {self.from_currency} = {self.rate} {self.to_currency} on {self.date} ({self.source})"


class MappingChange(models.Model):
    """History of every change to mapping configuration: who, when, what."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"
        IMPORTED = "imported", "Imported"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    mapping_set = models.ForeignKey(
        MappingSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    object_kind = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=300)
    action = models.CharField(max_length=10, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True, help_text="field: [before, after]")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_kind} {self.object_repr}"


class ConfigImport(models.Model):
    """One applied `import_config`: the configuration version now in force."""

    at = models.DateTimeField(auto_now_add=True)
    source_name = models.CharField(max_length=300, blank=True)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the imported file's canonical form.")
    format_version = models.PositiveIntegerField()
    summary = models.TextField(blank=True, help_text="The diff that was applied.")

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.source_name or 'import'} {self.checksum[:12]} at {self.at:%Y-%m-%d %H:%M}"

"""Mapping configuration: data edited in the admin, never code."""
from django.db import models


class MappingSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=120)
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

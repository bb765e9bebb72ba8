"""A note on a thread a person keeps about something to act on (a dead letter, a finding)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Note(models.Model):
    """Abstract: the concrete notes add the foreign key to what they are about."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

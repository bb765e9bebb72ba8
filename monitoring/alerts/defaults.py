"""The alert rules a new installation starts with (issue 16, "ready on day one").

Created by name when missing, never changed afterwards: an edited threshold or recipient list is the
operator's. A default rule that is not wanted is switched off (deleting it brings it back on the next
start, as `make run` runs the set-up every time).
"""
from __future__ import annotations

from django.conf import settings

from ..models import AlertRule

# (name, kind, threshold, window minutes, severity)
DEFAULT_RULES: list[tuple[str, str, int, int, str]] = [
    ("Dead letters waiting over 15 minutes", AlertRule.Kind.DEAD_LETTERS_WAITING, 0, 15, "warning"),
    ("Sign-in to a connected system failing", AlertRule.Kind.AUTH_FAILING, 0, 60, "critical"),
    ("Polling stuck while the source has changes", AlertRule.Kind.CURSOR_LAG, 0, 60, "warning"),
    ("Salesforce API budget above 80%", AlertRule.Kind.SF_BUDGET, 80, 60, "warning"),
]


def alert_rules_defaults_ensure() -> list[str]:
    """Create the default rules that do not exist yet; returns the names created."""
    created = []
    for name, kind, threshold, window, severity in DEFAULT_RULES:
        _, was_created = AlertRule.objects.get_or_create(name=name, defaults={
            "kind": kind, "threshold": threshold, "window_minutes": window, "severity": severity,
            "email_to": settings.LEDGERLINK_ALERT_EMAIL,
        })
        if was_created:
            created.append(name)
    return created

"""Where a person goes to act on a record: admin pages by URL name (monitoring imports nothing from
integrations), as paths for the pages and as absolute URLs for e-mails and chat messages."""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    """An e-mail or chat message is read outside the app: links carry LEDGERLINK_PUBLIC_URL."""
    return f"{settings.LEDGERLINK_PUBLIC_URL}{path}"


def dead_letter_url(flow_id: int) -> str:
    """A flow's unresolved dead letters, on the error console (Needs attention) where they are worked."""
    return reverse("admin:needs_attention") + "?" + urlencode({"flow": flow_id, "kind": "dead"})


def sync_items_url(flow_id: int) -> str:
    return reverse("admin:integrations_syncitem_changelist") + "?" + urlencode({"flow__id__exact": flow_id})


def flow_url(flow_id: int) -> str:
    return reverse("admin:integrations_flow_change", args=[flow_id])


def connection_url(connection_id: int) -> str:
    return reverse("admin:integrations_connection_change", args=[connection_id])


def findings_url(check_name: str) -> str:
    return reverse("admin:monitoring_finding_changelist") + "?" + urlencode(
        {"check_name__exact": check_name, "status__exact": "open"})


def dashboard_url() -> str:
    return reverse("monitoring:dashboard")

"""Writing findings: record what a check found, clear what it no longer finds, let finance decide.

A finding's fingerprint is ``check|subject|variant``. A check says which subjects it looked
at; an open finding about a subject that was looked at and not found again is cleared.
Confirmed and dismissed findings keep finance's decision even when found again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from .models import Finding, FindingNote


@dataclass
class Found:
    subject: str
    title: str
    explanation: str
    details: dict = field(default_factory=dict)
    records: list = field(default_factory=list)
    flow_id: int | None = None
    variant: str = ""


def finding_fingerprint(check_name: str, subject: str, variant: str = "") -> str:
    return f"{check_name}|{subject}|{variant}"[:200]


def findings_sync(*, check_name: str, found: list[Found], examined: set[str] | None, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    counts = {"new": 0, "seen_again": 0, "cleared": 0}
    fingerprints = set()
    for f in found:
        fp = finding_fingerprint(check_name, f.subject, f.variant)
        fingerprints.add(fp)
        values = dict(title=f.title[:300], explanation=f.explanation, details={**f.details, "subject": f.subject},
                      records=f.records, flow_id=f.flow_id, last_seen_at=now)
        existing = Finding.objects.filter(fingerprint=fp).first()
        if existing is None:
            Finding.objects.create(check_name=check_name, fingerprint=fp, first_seen_at=now, **values)
            counts["new"] += 1
            continue
        if existing.status == Finding.Status.CLEARED:
            values["status"] = Finding.Status.OPEN
        Finding.objects.filter(pk=existing.pk).update(**values)
        counts["seen_again"] += 1
    if examined is not None:
        for finding in Finding.objects.filter(check_name=check_name, status=Finding.Status.OPEN).only("fingerprint", "details"):
            if finding.fingerprint not in fingerprints and finding.details.get("subject") in examined:
                Finding.objects.filter(pk=finding.pk).update(status=Finding.Status.CLEARED, last_seen_at=now)
                counts["cleared"] += 1
    return counts


def finding_decide(*, finding: Finding, status: str, user=None) -> Finding:
    """Finance's verdict: confirmed (a real problem) or dismissed (fine as it is)."""
    if status not in (Finding.Status.CONFIRMED, Finding.Status.DISMISSED, Finding.Status.OPEN):
        raise ValueError(f"A finding can be confirmed, dismissed or reopened, not set to {status!r}.")
    finding.status, finding.decided_at = status, timezone.now()
    finding.decided_by = str(user)[:150] if user else ""
    finding.save(update_fields=["status", "decided_at", "decided_by"])
    return finding


def finding_note_add(*, finding: Finding, user, text: str) -> FindingNote:
    """A note on the finding's thread; an empty one is refused (ValueError; the admin page skips an empty field)."""
    text = (text or "").strip()
    if not text:
        raise ValueError("A note needs some text.")
    return FindingNote.objects.create(finding=finding, user=user, username=user.get_username() if user else "",
                                      text=text)


def finding_assign(*, finding: Finding, assignee, user) -> Finding:
    """Who looks into it; the thread says who assigned it to whom, and when."""
    finding.assignee = assignee
    finding.save(update_fields=["assignee"])
    finding_note_add(finding=finding, user=user,
                     text=f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.")
    return finding

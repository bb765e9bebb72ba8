"""Needs attention: everything a person must act on, and what they can do to one item.

One list of unresolved dead letters, held conflicts and open findings (``attention_rows``), and
the item actions of the error console — assign, note, resolve / ignore (a note is required),
replay and *Edit & retry* — each audited as an ``ItemAction``. Admin pages and the operations API
are thin callers of these.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from integrations.models import ItemAction, ItemNote, SyncItem
from integrations.operations.business import business_fields
from integrations.operations.replay import sync_item_replay
from integrations.sync.cause import cause_step
from mappings.paths import MISSING, path_get
from monitoring.models import Finding

S = SyncItem.Status
KINDS = {"dead": "Dead letter", "held": "Held conflict", "finding": "Finding"}


class AttentionRefused(ValueError):
    """An action that cannot be done as asked (a missing note, an item that is not dead…); the
    message says why, for a 4xx answer."""


@dataclass
class AttentionRow:
    kind: str
    pk: int
    url: str
    flow: str
    step: str
    reason: str
    since: datetime | None
    attempts: int = 0
    assignee: str = ""
    cause_key: str = ""
    cause_label: str = ""
    business: dict = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def age(self):
        return timezone.now() - self.since if self.since else None


def attention_items(*, flow_id: int | None = None, cause_key: str = "", assignee_id: int | None = None,
                    kind: str = ""):
    """The unresolved dead letters and held conflicts, filtered; newest first."""
    statuses = {"dead": [S.DEAD], "held": [S.HELD]}.get(kind, [S.DEAD, S.HELD])
    items = (SyncItem.objects.filter(status__in=statuses, resolution="")
             .select_related("flow", "assignee").order_by("-updated_at", "-pk"))
    if flow_id:
        items = items.filter(flow_id=flow_id)
    if cause_key:
        items = items.filter(cause_key=cause_key)
    if assignee_id:
        items = items.filter(assignee_id=assignee_id)
    return items


def attention_rows(*, flow_id: int | None = None, cause_key: str = "", assignee_id: int | None = None,
                   kind: str = "", limit: int = 500) -> list[AttentionRow]:
    rows = [AttentionRow(
        kind=item.status, pk=item.pk, url=reverse("admin:needs_attention_item", args=[item.pk]),
        flow=str(item.flow), step=" · ".join(filter(None, [item.step, cause_step(item.cause_key)])),
        reason=item.last_error,
        since=item.finished_at or item.updated_at, attempts=item.attempts,
        assignee=item.assignee.get_username() if item.assignee else "", cause_key=item.cause_key,
        cause_label=item.cause_label, business=business_fields(item.source_snapshot),
    ) for item in attention_items(flow_id=flow_id, cause_key=cause_key, assignee_id=assignee_id, kind=kind)[:limit]]
    if kind in ("", "finding") and not cause_key:
        findings = Finding.objects.filter(status=Finding.Status.OPEN).select_related("flow", "assignee")
        if flow_id:
            findings = findings.filter(flow_id=flow_id)
        if assignee_id:
            findings = findings.filter(assignee_id=assignee_id)
        rows += [AttentionRow(
            kind="finding", pk=f.pk, url=reverse("admin:monitoring_finding_change", args=[f.pk]),
            flow=str(f.flow or ""), step=f.check_name, reason=f.title, since=f.first_seen_at,
            assignee=f.assignee.get_username() if f.assignee else "",
        ) for f in findings[:limit]]
    return rows


def _audit(item: SyncItem, action: str, user, detail: str = "", **data) -> ItemAction:
    return ItemAction.objects.create(item=item, cause_key=item.cause_key, action=action, user=user,
                                     username=user.get_username() if user else "", detail=detail, data=data)


def _note_required(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise AttentionRefused(f"{what} needs a note saying why.")
    return note


def item_assign(*, item: SyncItem, assignee, user) -> SyncItem:
    item.assignee = assignee
    item.save(update_fields=["assignee", "updated_at"])
    _audit(item, "assigned", user, f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.",
           assignee=assignee.pk if assignee else None)
    return item


def item_note_add(*, item: SyncItem, user, text: str) -> ItemNote:
    text = _note_required(text, "A note")
    note = ItemNote.objects.create(item=item, user=user, username=user.get_username() if user else "", text=text)
    _audit(item, "noted", user, text[:200])
    return note


def item_resolve(*, item: SyncItem, user, note: str, resolution: str = SyncItem.Resolution.RESOLVED) -> SyncItem:
    """Close a dead letter (or a held conflict) without replaying it: resolved, or ignored."""
    if resolution not in SyncItem.Resolution.values:
        raise AttentionRefused(f"Unknown resolution '{resolution}': use resolved or ignored.")
    note = _note_required(note, "Resolving" if resolution == SyncItem.Resolution.RESOLVED else "Ignoring")
    if item.status not in (S.DEAD, S.HELD):
        raise AttentionRefused(f"Item {item.pk} is {item.get_status_display().lower()}: only dead letters and held "
                               "conflicts are resolved.")
    if item.resolution:
        raise AttentionRefused(f"Item {item.pk} is already {item.get_resolution_display().lower()}.")
    now = timezone.now()
    updated = SyncItem.objects.filter(pk=item.pk, status=item.status, resolution="").update(
        resolution=resolution, resolution_note=note, resolved_by=user, resolved_at=now, updated_at=now)
    if not updated:
        raise AttentionRefused(f"Item {item.pk} changed meanwhile; reload it.")
    item.refresh_from_db()
    _audit(item, resolution, user, note)
    return item


def item_replay(*, item: SyncItem, user) -> tuple[SyncItem, str]:
    """Replay, audited; a replayed dead letter is open again, so its resolution is cleared."""
    item, message = sync_item_replay(item=item, user=user)
    if message.endswith("queued again."):
        SyncItem.objects.filter(pk=item.pk).update(resolution="", resolution_note="", resolved_by=None,
                                                   resolved_at=None)
        _audit(item, "replayed", user, message)
    return item, message


def item_edit_retry(*, item: SyncItem, user, overrides: dict[str, object]) -> tuple[SyncItem, str]:
    """Replay once with named mapped fields overridden (the engine sets them after mapping, for
    that one attempt). The source system is never written; the change is audited."""
    overrides = {k.strip(): v for k, v in (overrides or {}).items() if k and k.strip()}
    if not overrides:
        raise AttentionRefused("Name at least one mapped field to override.")
    if item.status != S.DEAD:
        raise AttentionRefused(f"Item {item.pk} is {item.get_status_display().lower()}: Edit & retry is for dead letters.")
    SyncItem.objects.filter(pk=item.pk).update(field_overrides=overrides)
    item.refresh_from_db()
    before = {name: _payload_value(item.mapped_payload, name) for name in overrides}
    item, message = sync_item_replay(item=item, user=user)
    if not message.endswith("queued again."):
        SyncItem.objects.filter(pk=item.pk, status=S.DEAD).update(field_overrides={})
        return item, message
    SyncItem.objects.filter(pk=item.pk).update(resolution="", resolution_note="", resolved_by=None, resolved_at=None)
    _audit(item, "edit_retry", user, "Replayed once with " + ", ".join(f"{k} = {v!r}" for k, v in overrides.items()),
           overrides=overrides, before=before)
    return item, message


def _payload_value(payload: dict, name: str):
    value = path_get(payload or {}, name)
    return None if value is MISSING else value


def item_history(*, item: SyncItem) -> list[ItemAction]:
    return list(item.actions.select_related("user").order_by("-created_at", "-pk"))


BULK_ACTIONS = {"replay": "Replay", "resolve": "Resolve", "ignore": "Ignore", "assign": "Assign to"}
BULK_PERMISSIONS = {"replay": "integrations.replay_syncitem", "resolve": "integrations.resolve_syncitem",
                    "ignore": "integrations.resolve_syncitem", "assign": "integrations.assign_syncitem"}


def attention_bulk_apply(*, action: str, items, user, note: str = "", assignee=None) -> list[str]:
    """One sentence per item of a confirmed bulk action (replay, resolve, ignore, assign)."""
    if action not in BULK_ACTIONS:
        raise AttentionRefused(f"Unknown action '{action}'.")
    if action in ("resolve", "ignore"):
        _note_required(note, "Resolving" if action == "resolve" else "Ignoring")
    if action == "assign" and assignee is None:
        raise AttentionRefused("Choose whom to assign the items to.")
    done = []
    for item in items:
        try:
            if action == "replay":
                done.append(item_replay(item=item, user=user)[1])
            elif action == "assign":
                item_assign(item=item, assignee=assignee, user=user)
                done.append(f"Item {item.pk} assigned to {assignee.get_username()}.")
            else:
                resolution = SyncItem.Resolution.RESOLVED if action == "resolve" else SyncItem.Resolution.IGNORED
                item_resolve(item=item, user=user, note=note, resolution=resolution)
                done.append(f"Item {item.pk} {resolution}.")
        except AttentionRefused as exc:
            done.append(str(exc))
    return done


def overrides_parse(text: str) -> dict[str, object]:
    """``field = value`` per line (the Edit & retry form): a value that reads as JSON (a number,
    true, "quoted") is taken as such, anything else as text."""
    overrides: dict[str, object] = {}
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        name, sep, raw = line.partition("=")
        if not sep or not name.strip():
            raise AttentionRefused(f"Line {number} should read 'field = value'.")
        raw = raw.strip()
        try:
            overrides[name.strip()] = json.loads(raw)
        except ValueError:
            overrides[name.strip()] = raw
    return overrides

"""Conflicts in two-way flows: both sides changed a field since we last wrote it.

A field is in conflict when the value we would write now differs from what we last wrote
there (the source changed) AND the target's current value differs from what we last wrote
(someone changed the target too) AND the two new values differ. The flow's policy decides:

- field_owner (default): per-field source of truth. ``flow.settings["field_owners"]`` maps
  a target field to the system that owns it; unlisted fields follow
  ``flow.settings["default_owner"]`` ("source", the change being synced, by default).
  Defaults: Salesforce owns the name and the address, FreshBooks the billing contact email.
- newest_wins: the side changed last wins every conflicting field.
- review: the item is held; finance picks per field in Conflicts (admin), then it resumes
  with ``hint["resolution"] = {field: "source" | "target"}``.

A field decided for the target is left out of the write (the target keeps its value); with
a finance decision, that value is also written to the source so both systems agree.

"What we last wrote" is the pair's last agreement as this direction saw it. When the other
direction synced the pair later (reading the record that is our target now), that later
agreement counts instead: the record's values as it read them (``agreed_store``,
``last_agreed``). Otherwise a pair last synced the other way would show no conflict at all,
or a change already synced the other way would look like one.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..errors import ConflictHeld
from ..models import Binding, Flow
from .common import value_same

# Target field → owning system, for each direction of flow 1.
DEFAULT_OWNERS: dict[str, dict[str, str]] = {
    "client": {  # Salesforce Account → FreshBooks client
        "organization": "salesforce", "p_street": "salesforce", "p_street2": "salesforce", "p_city": "salesforce",
        "p_province": "salesforce", "p_code": "salesforce", "p_country": "salesforce", "email": "freshbooks",
    },
    "Account": {  # FreshBooks client → Salesforce Account
        "Name": "salesforce", "BillingStreet": "salesforce", "BillingCity": "salesforce", "BillingState": "salesforce",
        "BillingPostalCode": "salesforce", "BillingCountry": "salesforce",
    },
    "Contact": {"Email": "freshbooks"},
}


def agreed_store(binding: Binding, values: dict) -> None:
    """Remember a record's own values as a sync that read it found them: both sides agreed on them then."""
    plain = {k: v for k, v in values.items() if not isinstance(v, (dict, list))}
    binding.extra = {**(binding.extra or {}), "agreed": {"at": timezone.now().isoformat(), "values": plain}}
    binding.save(update_fields=["extra", "updated_at"])


def last_agreed(binding: Binding) -> dict:
    """The target record's values at the pair's last agreement: what we last wrote there, or what it
    held when a later sync the other way read it."""
    written = binding.last_written_payload or {}
    agreed = (binding.extra or {}).get("agreed") or {}
    agreed_at = parse_datetime(agreed.get("at") or "")
    if agreed_at and (not written or binding.last_written_at is None or agreed_at > binding.last_written_at):
        return agreed.get("values") or {}
    return written


@dataclass
class FieldConflict:
    field: str
    ours: object  # the source's new value, mapped
    theirs: object  # the target's current value
    last: object  # what we last wrote to the target


def conflicts_detect(*, payload: dict, target_now: dict, last_written: dict) -> list[FieldConflict]:
    found = []
    for field, ours in payload.items():
        if field not in target_now:
            continue
        last, theirs = last_written.get(field), target_now.get(field)
        if not value_same(ours, last) and not value_same(theirs, last) and not value_same(ours, theirs):
            found.append(FieldConflict(field, ours, theirs, last))
    return found


@dataclass
class Resolution:
    payload: dict  # what to write to the target
    source_updates: dict  # target field → value to put back into the source (finance chose the target)
    decided: dict  # field → "source" | "target", for the item's result


def _owner(flow: Flow, target_object: str, field: str, source_system: str) -> str:
    owners = {**DEFAULT_OWNERS.get(target_object, {}), **(flow.settings or {}).get("field_owners", {})}
    owner = owners.get(field) or (flow.settings or {}).get("default_owner", "source")
    if owner in ("source", "target"):
        return owner
    return "source" if owner == source_system else "target"


def conflicts_resolve(*, flow: Flow, conflicts: list[FieldConflict], payload: dict, target_object: str,
                      source_system: str, source_changed_at: datetime | None, target_changed_at: datetime | None,
                      resolution: dict | None = None) -> Resolution:
    """Apply the policy; raises ConflictHeld when a person must choose."""
    decided: dict[str, str] = {}
    resolution = resolution or {}
    policy = flow.conflict_policy
    for c in conflicts:
        if resolution.get(c.field) in ("source", "target"):
            decided[c.field] = resolution[c.field]
        elif policy == Flow.ConflictPolicy.NEWEST_WINS:
            # FreshBooks stamps to the second: compare at that precision; a tie goes to the source.
            target_newer = bool(target_changed_at and source_changed_at and
                                target_changed_at.replace(microsecond=0) > source_changed_at.replace(microsecond=0))
            decided[c.field] = "target" if target_newer else "source"
        elif policy == Flow.ConflictPolicy.FIELD_OWNER:
            decided[c.field] = _owner(flow, target_object, c.field, source_system)
    undecided = [c for c in conflicts if c.field not in decided]
    if undecided:
        names = ", ".join(c.field for c in undecided)
        raise ConflictHeld(f"Both systems changed {names} since the last sync; choose the value to keep in Conflicts.",
                           ours={c.field: c.ours for c in undecided}, theirs={c.field: c.theirs for c in undecided},
                           detail=[asdict(c) for c in conflicts])
    out = {k: v for k, v in payload.items() if decided.get(k) != "target"}
    by_person = {c.field: c.theirs for c in conflicts if decided[c.field] == "target" and c.field in resolution}
    return Resolution(out, by_person, decided)

"""Conflicts in two-way flows: both sides changed a field since we last wrote it.

A field is in conflict when the value we would write now differs from what we last wrote
there (the source changed) AND the target's current value differs from what we last wrote
(someone changed the target too) AND the two new values differ. The flow's policy decides:

- field_owner (default): per-field source of truth. ``flow.settings["field_owners"]`` maps
  a target field to the system that owns it; unlisted fields follow
  ``flow.settings["default_owner"]`` ("source", the change being synced, by default).
  Defaults (DEFAULT_OWNERS): Salesforce owns the name and the address, FreshBooks the billing
  contact email; of the primary Contact, Salesforce owns the person's name, phone and mailing
  address, FreshBooks the email.
- newest_wins: the side changed last wins every conflicting field (each pair of records
  compares its own change times: the primary Contact's with the client's, not the Account's).
- review: the item is held; finance picks per field in Conflicts (admin), then it resumes
  with ``hint["resolution"] = {field: "source" | "target"}``.

One sync may write several records (flow 1 writes the Account and its primary Contact); each
is a ConflictPair, checked and decided together, so a conflict on either holds the whole item
before anything is written. A related record's fields are named with its prefix
("Contact.Email") in the item's result, the Conflicts view and the resolution.

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
from dataclasses import field as dataclass_field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import ConflictHeld
from integrations.flows.toolkit.values import value_same
from integrations.models import Binding, Flow
from integrations.sync.hashing import payload_hash

# Target field → owning system, for each direction of flow 1.
DEFAULT_OWNERS: dict[str, dict[str, str]] = {
    "client": {  # Salesforce Account → FreshBooks client
        "organization": "salesforce", "p_street": "salesforce", "p_street2": "salesforce", "p_city": "salesforce",
        "p_province": "salesforce", "p_code": "salesforce", "p_country": "salesforce", "email": "freshbooks",
        "fname": "salesforce", "lname": "salesforce",  # the primary Contact's name, as in the Contact's map
    },
    "Account": {  # FreshBooks client → Salesforce Account
        "Name": "salesforce", "BillingStreet": "salesforce", "BillingCity": "salesforce", "BillingState": "salesforce",
        "BillingPostalCode": "salesforce", "BillingCountry": "salesforce",
    },
    # FreshBooks client → the Account's primary Contact: every field of the default contact
    # mapping is listed, so no Contact field falls to ``default_owner`` unnoticed.
    "Contact": {
        "Email": "freshbooks", "FirstName": "salesforce", "LastName": "salesforce", "Phone": "salesforce",
        "MailingStreet": "salesforce", "MailingCity": "salesforce", "MailingState": "salesforce",
        "MailingPostalCode": "salesforce", "MailingCountry": "salesforce",
    },
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


def conflict_baseline(binding: Binding | None, payload: dict | None) -> dict:
    """What ``payload`` is compared with on the bound target record (last_agreed); {} when the
    write cannot conflict: nothing agreed on yet, or ``payload`` is what we last wrote there, so
    nothing will be written. The engine and the backfill read the target only when this is not {}."""
    if binding is None or not payload or binding.last_written_hash == payload_hash(payload):
        return {}
    return last_agreed(binding)


@dataclass
class FieldConflict:
    field: str  # the name finance picks by: the target field, prefixed for a related record ("Contact.Email")
    ours: object  # the source's new value, mapped
    theirs: object  # the target's current value
    last: object  # what we last wrote to the target
    record: str = ""  # the target record's object type ("Account", "Contact"), shown beside the field
    record_id: str = ""
    label: str = ""  # the field's own name on that record


@dataclass
class ConflictPair:
    """The fields one source record maps onto one target record, as the check compares them."""

    record: str  # the target's object type: the owner map's key, and its label in Conflicts
    payload: dict  # what the sync would write there
    current: dict  # the target now; {} when it is not compared (nothing agreed yet, or nothing to write)
    last: dict  # the target's values at the pair's last agreement (last_agreed)
    source_changed_at: datetime | None = None
    target_changed_at: datetime | None = None
    prefix: str = ""  # "" for the flow's own target; "Contact." for a record written with it
    record_id: str = ""
    # fields whose source changed at another time: a client's fields mapped from the Account's
    # primary Contact changed when the Contact did, not the Account
    field_changed_at: dict[str, datetime | None] = dataclass_field(default_factory=dict)


def conflicts_detect(pair: ConflictPair) -> list[FieldConflict]:
    found = []
    for field, ours in pair.payload.items():
        if field not in pair.current:
            continue
        last, theirs = pair.last.get(field), pair.current.get(field)
        if not value_same(ours, last) and not value_same(theirs, last) and not value_same(ours, theirs):
            found.append(FieldConflict(pair.prefix + field, ours, theirs, last, pair.record, pair.record_id, field))
    return found


@dataclass
class Resolution:
    payloads: list[dict]  # what to write to each pair's target, in the pairs' order
    source_updates: dict  # field (as in FieldConflict.field) → value to put back into the source (finance chose the target)
    decided: dict  # field → "source" | "target", for the item's result


def _owner(flow: Flow, target_object: str, field: str, source_system: str) -> str:
    owners = {**DEFAULT_OWNERS.get(target_object, {}), **(flow.settings or {}).get("field_owners", {})}
    owner = owners.get(field) or (flow.settings or {}).get("default_owner", "source")
    if owner in ("source", "target"):
        return owner
    return "source" if owner == source_system else "target"


def _newest(pair: ConflictPair, field: str) -> str:
    # FreshBooks stamps to the second: compare at that precision; a tie goes to the source.
    source, target = pair.field_changed_at.get(field, pair.source_changed_at), pair.target_changed_at
    target_newer = bool(target and source and target.replace(microsecond=0) > source.replace(microsecond=0))
    return "target" if target_newer else "source"


def conflicts_resolve(*, flow: Flow, pairs: list[ConflictPair], source_system: str,
                      resolution: dict | None = None) -> Resolution:
    """Detect and apply the policy over every pair; raises ConflictHeld when a person must choose."""
    found = [(pair, c) for pair in pairs for c in conflicts_detect(pair)]
    decided: dict[str, str] = {}
    resolution = resolution or {}
    policy = flow.conflict_policy
    for pair, c in found:
        if resolution.get(c.field) in ("source", "target"):
            decided[c.field] = resolution[c.field]
        elif policy == Flow.ConflictPolicy.NEWEST_WINS:
            decided[c.field] = _newest(pair, c.label)
        elif policy == Flow.ConflictPolicy.FIELD_OWNER:
            # a field a user lists in settings.field_owners by its full name ("Contact.Email") wins over its label
            owner_key = c.field if c.field in (flow.settings or {}).get("field_owners", {}) else c.label
            decided[c.field] = _owner(flow, pair.record, owner_key, source_system)
    undecided = [c for _, c in found if c.field not in decided]
    if undecided:
        names = ", ".join(c.field.replace(".", " ") for c in undecided)
        raise ConflictHeld(f"Both systems changed {names} since the last sync; choose the value to keep in Conflicts.",
                           ours={c.field: c.ours for c in undecided}, theirs={c.field: c.theirs for c in undecided},
                           detail=[asdict(c) for _, c in found])
    payloads = [{k: v for k, v in pair.payload.items() if decided.get(pair.prefix + k) != "target"} for pair in pairs]
    by_person = {c.field: c.theirs for _, c in found if decided[c.field] == "target" and c.field in resolution}
    return Resolution(payloads, by_person, decided)

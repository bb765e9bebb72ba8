"""Change Data Capture events, in the shapes a relay may post:

- CometD message: ``{"channel", "data": {"schema", "payload": {"ChangeEventHeader": …, fields},
  "event": {"replayId"}}}`` — changedFields is a list of names;
- Pub/Sub (Avro-decoded) event: ``{"replayId", "payload": {"ChangeEventHeader": …, fields}}``
  or the bare decoded payload — changedFields is a hex bitmap over the event schema's field
  order (ChangeEventHeader = bit 0), with "N-0x…" entries for the parts of compound field N.

GAP_* events and wildcard record ids carry no usable data: the records must be refetched.
"""
from __future__ import annotations

from dataclasses import dataclass, field

GAP_TYPES = {"GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW"}
CHANGE_TYPES = {"CREATE", "UPDATE", "DELETE", "UNDELETE"} | GAP_TYPES


class EventShapeError(ValueError):
    """The body is not a change event; the message says what is wrong."""


@dataclass
class ChangeEvent:
    entity: str
    change_type: str
    record_ids: list[str]
    changed_fields: list[str]
    change_origin: str = ""
    transaction_key: str = ""
    sequence_number: int | None = None
    commit_timestamp: int | None = None
    replay_id: str = ""
    fields: dict = field(default_factory=dict)
    # Pub/Sub only (decoded from their bitmaps): fields set to null, and diff-sent text fields.
    nulled_fields: list[str] = field(default_factory=list)
    diff_fields: list[str] = field(default_factory=list)
    event_uuid: str = ""  # Pub/Sub's event id: unique where replay ids are not (org migrations)

    @property
    def is_gap(self) -> bool:
        return self.change_type in GAP_TYPES

    @property
    def needs_refetch(self) -> bool:
        """Gap events, merged record sets and wildcards: read the records, do not trust the body."""
        return self.is_gap or len(self.record_ids) > 1 or any(r.endswith("*") for r in self.record_ids)

    def from_client(self, client_tag: str) -> bool:
        """True when the change was written by the API client tagged ``client_tag`` (our echo)."""
        for part in self.change_origin.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "client" and value.strip().rstrip("/") == client_tag:
                return True
        return False


def bitmap_decode(bitmap: list[str], field_names: list) -> list[str]:
    """Names of the fields set in a Pub/Sub changedFields bitmap.

    ``field_names`` is the schema's field order; an item may be (name, [sub-field names]) for
    a compound field, which "N-0x…" entries index into.
    """
    def name_of(item):
        return item[0] if isinstance(item, tuple) else item

    names = []
    for entry in bitmap or []:
        parent, _, hexbits = entry.rpartition("-") if "-" in entry else ("", "", entry)
        try:
            bits = int(hexbits, 16)
        except ValueError:
            raise EventShapeError(f"changedFields entry {entry[:40]!r} is not a hex bitmap") from None
        scope = field_names
        prefix = ""
        if parent:
            index = int(parent) if parent.isascii() and parent.isdigit() and len(parent) < 10 else len(field_names)
            if index >= len(field_names) or not isinstance(field_names[index], tuple):
                raise EventShapeError(f"changedFields entry {entry[:40]!r} points at no compound field")
            prefix, scope = field_names[index][0] + ".", field_names[index][1]
        if bits.bit_length() > len(scope):  # checked up front: a huge bitmap must not cost a long loop
            raise EventShapeError(f"changedFields bit {bits.bit_length() - 1} is outside the event schema")
        index = 0
        while bits:
            if bits & 1:
                if index >= len(scope):
                    raise EventShapeError(f"changedFields bit {index} is outside the event schema")
                names.append(prefix + name_of(scope[index]))
            bits >>= 1
            index += 1
    return names


def _payload_order(payload: dict) -> list:
    """Schema order from a decoded payload (decoders keep Avro field order); compound fields
    (nested dicts such as BillingAddress) contribute their sub-field order."""
    return [(k, list(v)) if isinstance(v, dict) and k != "ChangeEventHeader" else k for k, v in payload.items()]


def event_parse(item: dict, *, field_order: list | None = None) -> ChangeEvent:
    if not isinstance(item, dict):
        raise EventShapeError("Each event must be a JSON object.")
    replay = ""
    if isinstance(item.get("data"), dict):  # CometD
        payload = item["data"].get("payload")
        replay = str((item["data"].get("event") or {}).get("replayId", ""))
    elif isinstance(item.get("payload"), dict):  # Pub/Sub, wrapped with its replay id
        payload, replay = item["payload"], str(item.get("replayId", ""))
    else:
        payload = item
    if not isinstance(payload, dict) or not isinstance(payload.get("ChangeEventHeader"), dict):
        raise EventShapeError("The event has no ChangeEventHeader.")
    header = payload["ChangeEventHeader"]
    entity, change_type, ids = header.get("entityName"), header.get("changeType"), header.get("recordIds")
    if not isinstance(entity, str) or not entity:
        raise EventShapeError("ChangeEventHeader.entityName is missing.")
    if not isinstance(change_type, str) or change_type not in CHANGE_TYPES:
        raise EventShapeError(f"ChangeEventHeader.changeType {str(change_type)[:40]!r} is not a change type.")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise EventShapeError("ChangeEventHeader.recordIds must be a list of ids.")
    if not ids and change_type != "GAP_OVERFLOW":
        raise EventShapeError("ChangeEventHeader.recordIds is empty.")
    changed = header.get("changedFields") or []
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise EventShapeError("ChangeEventHeader.changedFields must be a list of strings.")
    if changed and all(c.startswith("0x") or "-0x" in c for c in changed):
        changed = bitmap_decode(changed, field_order or _payload_order(payload))
    fields = {k: v for k, v in payload.items() if k != "ChangeEventHeader"}
    return ChangeEvent(
        entity=entity, change_type=change_type, record_ids=ids, changed_fields=changed,
        change_origin=str(header.get("changeOrigin") or ""), transaction_key=str(header.get("transactionKey") or ""),
        sequence_number=header.get("sequenceNumber"), commit_timestamp=header.get("commitTimestamp"),
        replay_id=replay, fields=fields)


def events_parse(body) -> list[ChangeEvent]:
    """One event or a list of events."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise EventShapeError("The list of events is empty.")
    return [event_parse(item) for item in items]


def event_dedupe_key(event: ChangeEvent, record_id: str) -> str:
    """Replay id when the relay sent one, else transaction key + sequence; per record."""
    if event.replay_id:
        return f"replay:{event.replay_id}:{record_id}"
    if event.transaction_key:
        return f"tx:{event.transaction_key}:{event.sequence_number}:{record_id}"
    raise EventShapeError("The event has neither a replay id nor a transactionKey to recognise repeats by.")

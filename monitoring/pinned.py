"""Records that findings and open alerts point to: retention must keep them.

A finding (whatever its status: a dismissed one is still finance's decision on record) or an open
alert names sync items, inbound events or API calls in its JSON (``records``, ``details``). Those
rows are the evidence behind it, so the pruner (integrations/operations/retention.py) asks here
which ids it must leave alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from monitoring.models import Alert, Finding

# JSON keys naming one row (or a list of rows) of each table; "subject": "item:<pk>" names an item.
KEYS = {
    "sync_items": ("sync_item_id", "sync_item_ids", "item_id", "item_ids"),
    "inbound_events": ("inbound_event_id", "inbound_event_ids", "event_id", "event_ids"),
    "api_calls": ("api_call_id", "api_call_ids"),
}


@dataclass
class Pinned:
    sync_items: set[int] = field(default_factory=set)
    inbound_events: set[int] = field(default_factory=set)
    api_calls: set[int] = field(default_factory=set)


def records_pinned() -> Pinned:
    """Ids named by any finding or any open alert."""
    pinned = Pinned()
    for records, details in Finding.objects.values_list("records", "details").iterator():
        _collect(records, pinned)
        _collect(details, pinned)
    for (details,) in Alert.objects.filter(status=Alert.Status.OPEN).values_list("details").iterator():
        _collect(details, pinned)
    return pinned


def _collect(value, pinned: Pinned) -> None:
    if isinstance(value, list):
        for v in value:
            _collect(v, pinned)
    elif isinstance(value, dict):
        for key, v in value.items():
            for name, keys in KEYS.items():
                if key in keys:
                    getattr(pinned, name).update(_ids(v))
            if key == "subject" and isinstance(v, str) and v.startswith("item:"):
                pinned.sync_items.update(_ids(v.removeprefix("item:")))
            _collect(v, pinned)


def _ids(value) -> set[int]:
    values = value if isinstance(value, list) else [value]
    return {int(v) for v in values if isinstance(v, int) or (isinstance(v, str) and v.isdigit())}

"""FreshBooks' change reader for the poller: ``search[updated_min]`` (a US/Eastern day),
refined here to the second; deleted payments are read as deletes."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from integrations.connectors.changes import Change, WatermarkReader
from integrations.connectors.freshbooks.values import accounting_datetime

RESOURCES = {"client": "clients", "invoice": "invoices", "payment": "payments", "expense": "expenses"}


class FreshBooksChangeReader(WatermarkReader):
    # the watermark is FreshBooks' own "updated" stamp; minutes of overlap catch late commits (settings)
    overlap_setting = "FRESHBOOKS_POLL_OVERLAP_MINUTES"
    backfills = True
    backfill_in_change_order = False  # FreshBooks lists in no change order: a backfill is done as a whole

    def changes_since(self, *, flow, handler, since: datetime, until: datetime) -> Iterator[Change]:
        api = getattr(handler.fb, RESOURCES[flow.source_object])
        # search[updated_min] has day granularity: read from that day, keep what changed since `since`.
        states = [({}, "upsert")] + ([({"vis_state": 1}, "delete")] if flow.source_object == "payment" else [])
        for extra, action in states:
            for record in api.iterate(search={"updated_min": since, **extra}, include=()):
                changed = accounting_datetime(record.get("updated"), resource=flow.source_object, field="updated")
                if changed and changed >= since:
                    version = str(record.get("updated") or "")
                    yield Change(str(record["id"]), version, changed, action, hint={"version": version})

    def backfill_records(self, *, flow, handler, since: datetime | None) -> Iterator[tuple[str, datetime | None]]:
        api = getattr(handler.fb, RESOURCES[flow.source_object])
        search = {"updated_min": since} if since else {}
        for record in api.iterate(search=search, include=()):
            yield str(record["id"]), None

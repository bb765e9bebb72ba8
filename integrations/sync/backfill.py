"""What every backfill shares, whichever way it runs (record by record through the engine, or a
flow's batched backfill): the summary it reports and the cursor it resumes from (keyed by the
flow's id, so a rename keeps it)."""
from __future__ import annotations

from dataclasses import dataclass, field

from integrations.cursors import BACKFILL, flow_cursor
from integrations.models import Cursor, Flow

# "queued": not finished in the run, handed to a worker that retries it on its own (a record another worker
# was syncing at that moment, or a retryable error); "failed": a dead letter or a conflict held for a person.
OUTCOMES = ("created", "updated", "matched", "skipped", "queued", "failed")
#: a succeeded item's action → the summary's word for it
ACTION_OUTCOMES = {"created": "created", "updated": "updated", "matched": "matched", "unchanged": "skipped"}


@dataclass
class BackfillSummary:
    flow: str
    dry_run: bool = False
    counts: dict = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[str] = field(default_factory=list)

    def add(self, outcome: str, reason: str = "") -> None:
        self.counts[outcome] += 1
        if outcome in ("failed", "queued") and len(self.failures) < 20:  # what did not finish, and why
            self.failures.append(reason)

    def sentence(self) -> str:
        what = "would be " if self.dry_run else ""
        parts = ", ".join(f"{n} {what}{k}" for k, n in self.counts.items())
        return f"{self.flow}{' (dry run)' if self.dry_run else ''}: {parts}."


def backfill_cursor(flow: Flow) -> Cursor:
    return flow_cursor(flow=flow, stream=BACKFILL)

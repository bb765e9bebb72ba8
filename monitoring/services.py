"""Writers for the audit tables. Connectors and the engine call these; nothing else writes them."""
from __future__ import annotations

from django.utils import timezone

from .context import current_sync_item_id
from .models import ApiCall, SyncAttempt


def api_call_record(
    *,
    system: str,
    operation: str,
    method: str,
    path: str,
    status_code: int | None,
    duration_ms: int,
    record_count: int = 0,
    error: str = "",
    connection_id: int | None = None,
) -> ApiCall:
    return ApiCall.objects.create(
        connection_id=connection_id,
        system=system,
        operation=operation[:120],
        method=method[:8],
        path=path[:500],
        status_code=status_code,
        duration_ms=max(0, int(duration_ms)),
        record_count=record_count,
        error=error[:500],
        sync_item_id=current_sync_item_id.get(),
    )


def sync_attempt_start(*, sync_item_id: int, number: int, task_id: str = "", worker: str = "") -> SyncAttempt:
    return SyncAttempt.objects.create(
        sync_item_id=sync_item_id, number=number, started_at=timezone.now(), task_id=task_id[:64], worker=worker[:120]
    )


def sync_attempt_finish(
    *, attempt: SyncAttempt, outcome: str, message: str = "", step: str = "", error_class: str = "",
    http_status: int | None = None,
) -> SyncAttempt:
    attempt.finished_at = timezone.now()
    attempt.duration_ms = int((attempt.finished_at - attempt.started_at).total_seconds() * 1000)
    attempt.outcome = outcome
    attempt.message = message
    attempt.step = step[:40]
    attempt.error_class = error_class[:80]
    attempt.http_status = http_status
    attempt.save(update_fields=[
        "finished_at", "duration_ms", "outcome", "message", "step", "error_class", "http_status"
    ])
    return attempt

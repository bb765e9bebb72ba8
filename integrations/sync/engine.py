"""Process one SyncItem end to end.

    claim → lock → still relevant? → fetch fresh source → map → find existing target
    (binding → external ref → match) → create or update → bind → write back → done

Failures are classified by type (see integrations.errors) and decide the item's fate:
retry with backoff, dead letter with a readable reason, skipped, or held for review.
Every try is a SyncAttempt; every external call made during it is an ApiCall linked to it.
A record locked by another worker (LockBusy, after binding_lock's short wait) is no try: the
item goes back to the queue for a moment later, its attempt is struck out and nothing shows
as failed. Items that run later are parked (``wake_at``) for the due-time dispatcher
(sync/wakeups.py), which hands them to a worker within a fraction of a second of their time.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.errors import (
    ConflictHeld,
    FatalError,
    LockBusy,
    MappingError,
    RetryableError,
    SkippableError,
    UnknownFlowKind,
)
from integrations.labels import entity_label_store
from integrations.models import Binding, Connection, Entity, SyncItem, System
from integrations.sync.cause import failure_cause
from integrations.sync.entities import entity_merge
from integrations.sync.handler import FlowHandler, WriteResult
from integrations.sync.overrides import fields_override
from integrations.sync.superseded import dead_letters_superseded_resolve
from integrations.sync.hashing import payload_hash
from integrations.sync.idempotency import remote_create_idempotent
from integrations.locking import binding_lock, lock_holder_id
from integrations.sync.retry import BackoffPolicy
from monitoring.context import current_sync_item_id
from monitoring.models import SyncAttempt
from monitoring.services import sync_attempt_finish, sync_attempt_start

logger = logging.getLogger(__name__)
# The engine knows flows only through the hook interface (sync/handler.py): it never imports a
# flow, nor the flow registry (flows sit above the engine). It resolves an item's handler — its
# kind checked, its settings validated — through the registry's dotted path at run time.
FLOW_HANDLER_RESOLVER = "integrations.flows.registry.flow_handler_checked"
S = SyncItem.Status

STEP_WORDS = {
    "start": "while starting",
    "lock": "while waiting for another worker on the same record",
    "relevance": "while checking the item still applies",
    "fetch": "while reading the source record",
    "map": "while mapping the record",
    "match": "while looking for an existing target record",
    "create": "while creating the target record",
    "update": "while updating the target record",
    "delete": "while handling the source record's deletion",
    "bind": "while saving the cross-reference",
    "write_back": "while writing the target's ids back to the source (the target record exists and will not be created again)",
    "follow_on": "while starting the next step",
}


class _Run:
    """Mutable state of one attempt (the step reached, for the error message)."""

    def __init__(self, item: SyncItem, handler: FlowHandler):
        self.item, self.handler, self.step = item, handler, "start"


# -- public entry point -------------------------------------------------------------------------
def sync_item_process(*, item_id: int, task_id: str = "") -> str | None:
    """Run one attempt of the item if it is due; returns the resulting status (or None)."""
    item = sync_item_claim(item_id=item_id)
    if item is None:
        return None
    number = SyncAttempt.objects.filter(sync_item_id=item.pk).count() + 1
    attempt = sync_attempt_start(sync_item_id=item.pk, number=number, task_id=task_id, worker=lock_holder_id())
    token = current_sync_item_id.set(item.pk)
    run = None
    try:
        run = _Run(item, import_string(FLOW_HANDLER_RESOLVER)(item.flow).for_item(item))
        run.step = "lock"
        with binding_lock(run.handler.lock_key(item)):
            result = _run_steps(run)
        return _finish_succeeded(item, attempt, result, target_words=_target_words(run.handler, item))
    except LockBusy as exc:  # the record's lock (or one taken inside a step) stayed busy
        return _requeue_lock_busy(item, attempt, exc)
    except Exception as exc:  # every failure is classified in _finish_failed
        return _finish_failed(item, attempt, exc, run.step if run else "start")
    finally:
        current_sync_item_id.reset(token)


def sync_item_claim(*, item_id: int) -> SyncItem | None:
    """Atomically move a due pending/retrying item to running; None if not ours to run."""
    now = timezone.now()
    claimed = SyncItem.objects.filter(pk=item_id, status__in=SyncItem.OPEN_STATUSES, next_attempt_at__lte=now).update(
        status=S.RUNNING,
        attempts=F("attempts") + 1,
        lease_expires_at=now + timedelta(seconds=settings.SYNC_RUNNING_STALE_SECONDS),
        wake_at=None,  # running now, whoever sent it: the due-time dispatcher has nothing left to send
        updated_at=now,
    )
    if not claimed:
        return None
    return SyncItem.objects.select_related("flow", "flow__source_connection", "flow__target_connection").get(pk=item_id)


# -- the sequence -------------------------------------------------------------------------------
def _run_steps(run: _Run) -> WriteResult:
    item, handler = run.item, run.handler
    run.step = "relevance"
    if not handler.is_relevant(item):
        raise SkippableError("No longer applies (the flow is switched off or the record is filtered out).")
    if item.action == "delete":
        run.step = "delete"
        # The source record is gone, so there is nothing to fetch: the flow decides from what
        # Ledgerlink linked it to (its entity's target binding), and says so on the item.
        source_binding = _source_binding(item, handler, {})
        item.entity = source_binding.entity if source_binding else item.entity
        return handler.delete(item, _target_binding(item.entity, handler, item))

    run.step = "fetch"
    source = handler.fetch_source(item)
    relayed = handler.relay(item, source)
    if relayed is not None:  # another record's item does the work; the snapshot dates what was read
        item.source_snapshot = source
        item.save(update_fields=["source_snapshot", "updated_at"])
        return relayed
    # Kept before mapping: a record that fails to map still shows its business fields to finance.
    item.source_snapshot = source
    item.save(update_fields=["source_snapshot", "updated_at"])
    run.step = "map"
    payload = fields_override(handler.map(item, source), item.field_overrides)
    item.mapped_payload = payload
    item.save(update_fields=["mapped_payload", "updated_at"])

    run.step = "match"
    source_binding = _source_binding(item, handler, source)
    entity = source_binding.entity if source_binding else None
    target = _target_binding(entity, handler, item) if entity else None
    content_hash = payload_hash(payload)
    if target and target.last_written_hash == content_hash:
        result = WriteResult(target.external_id, "unchanged")  # echo suppression: nothing new to send
    elif target:
        run.step = "update"
        result = handler.update(item, target.external_id, payload) or WriteResult(target.external_id, "updated")
    else:
        run.step = "create"
        created = remote_create_idempotent(
            find_existing=lambda: handler.find_existing(item, source, payload),
            create=lambda: handler.create(item, payload),
        )
        if not created.created:
            run.step = "update"
            handler.update(item, created.external_id, payload)
        result = WriteResult(created.external_id, "created" if created.created else "matched")
        run.step = "bind"
        entity, target = target_bind(item=item, handler=handler, entity=entity, external_id=created.external_id)

    run.step = "bind"
    written_remember(target=target, payload=payload, content_hash=content_hash)
    item.entity = entity = source_bind(item=item, source=source, handler=handler, entity=entity, target=target)
    entity_label_store(entity=entity, object_type=item.source_object, record=source)
    if handler.has_write_back and target.extra.get("write_back_hash") != content_hash:
        run.step = "write_back"
        handler.write_back(item, source, result)
        target.extra = {**target.extra, "write_back_hash": content_hash}
        target.save(update_fields=["extra", "updated_at"])
    run.step = "follow_on"
    handler.on_success(item, result)
    return result


def _source_binding(item: SyncItem, handler: FlowHandler, source: dict) -> Binding | None:
    connection_id, object_type, external_id = handler.source_ref(item, source)
    return (
        Binding.objects.select_related("entity")
        .filter(connection_id=connection_id, object_type=object_type, external_id=external_id)
        .first()
    )


def _target_binding(entity: Entity | None, handler: FlowHandler, item: SyncItem) -> Binding | None:
    connection_id, object_type = handler.target_ref(item)
    if entity is None or connection_id is None:
        return None
    return Binding.objects.filter(entity=entity, connection_id=connection_id, object_type=object_type).first()


def target_bind(*, item: SyncItem, handler: FlowHandler, entity: Entity | None, external_id: str):
    """Bind the target record; adopt its entity when a matched record is already bound."""
    connection_id, object_type = handler.target_ref(item)
    existing = Binding.objects.select_related("entity").filter(
        connection_id=connection_id, object_type=object_type, external_id=external_id
    ).first()
    if existing:
        # Linked by another flow that met the record first (its entity is the same deal seen from the
        # other end): one entity when they hold no two records of a kind, else a duplicate for a person.
        if entity is not None and existing.entity_id != entity.pk:
            if not entity_merge(keep=entity, other=existing.entity):
                raise FatalError(
                    f"The matching {object_type} {external_id} is already linked to another record "
                    f"(entity #{existing.entity_id}). This looks like a duplicate: merge or unlink it, then replay."
                )
            existing.refresh_from_db()
        return existing.entity, existing
    with transaction.atomic():
        if entity is None:
            entity = Entity.objects.create(kind=handler.entity_kind)
        try:
            with transaction.atomic():
                target = Binding.objects.create(
                    entity=entity, connection_id=connection_id, object_type=object_type, external_id=external_id,
                )
        except IntegrityError:
            raise RetryableError("Another worker linked this record at the same moment; retrying.") from None
    return entity, target


def written_remember(*, target: Binding, payload: dict, content_hash: str) -> None:
    """Store what we wrote to the target: its change coming back is then known as our echo."""
    if target.last_written_hash != content_hash:
        target.last_written_hash, target.last_written_payload, target.last_written_at = (
            content_hash, payload, timezone.now())
        target.save(update_fields=["last_written_hash", "last_written_payload", "last_written_at", "updated_at"])


def source_bind(*, item: SyncItem, source: dict, handler: FlowHandler, entity: Entity, target: Binding) -> Entity:
    """Link the source record to the entity (with its version), unless the flow keeps no source binding;
    the entity they end on (another flow may have linked the source meanwhile: see entity_merge)."""
    if not handler.binds_source:
        return entity
    version = handler.source_version(source)
    connection_id, object_type, external_id = handler.source_ref(item, source)
    try:
        with transaction.atomic():
            source_binding, created = Binding.objects.get_or_create(
                connection_id=connection_id, object_type=object_type, external_id=external_id,
                defaults={"entity": entity, "remote_version": version},
            )
    except IntegrityError:
        # The matched target already belongs to another record of this kind: two source
        # records for one real thing. Never guess which one is right.
        other = Binding.objects.filter(entity=entity, connection_id=connection_id, object_type=object_type).first()
        raise FatalError(
            f"{item.flow.target_object} {target.external_id} matched this {object_type}, but it is already "
            f"linked to {object_type} {other.external_id if other else '(another record)'}. This looks like "
            "a duplicate: merge the two or unlink one, then replay."
        ) from None
    if not created and source_binding.entity_id != entity.pk:
        # Another flow linked this source record while we wrote the target (it wrote to the source's
        # system from the other end): our target joins the entity it found, or it is a duplicate.
        if not entity_merge(keep=source_binding.entity, other=entity):
            raise FatalError(
                f"{object_type} {external_id} was linked to another record (entity #{source_binding.entity_id}) "
                f"while {item.flow.target_object} {target.external_id} was written for it. This looks like a "
                "duplicate: merge the two or unlink one, then replay.")
        entity = source_binding.entity
    if not created and version and source_binding.remote_version != version:
        source_binding.remote_version = version
        source_binding.save(update_fields=["remote_version", "updated_at"])
    return entity


# -- outcomes -----------------------------------------------------------------------------------
def _target_words(handler: FlowHandler, item: SyncItem) -> str:
    """What this item writes, named for the success message ("Infor M3 order"): a step of a chain
    writes its own record, not necessarily the flow's target object."""
    try:
        connection_id, object_type = handler.target_ref(item)
    except Exception:  # naming is best effort; the write itself succeeded
        return item.flow.target_object
    # Mostly one of the flow's own connections, already read with the item (sync_item_claim).
    known = {c.pk: c.system for c in (item.flow.source_connection, item.flow.target_connection) if c is not None}
    system = known.get(connection_id) or \
        Connection.objects.filter(pk=connection_id).values_list("system", flat=True).first()
    return f"{dict(System.choices).get(system, system or '')} {object_type}".strip()


def _finish_succeeded(item: SyncItem, attempt, result: WriteResult, *, target_words: str = "") -> str:
    words = {"unchanged": "Nothing to send: the target already holds this content."}
    message = result.extra.get("message") or words.get(
        result.action, f"{result.action.capitalize()} {target_words or item.flow.target_object} {result.external_id}.")
    _transition(
        item, status=S.SUCCEEDED, result={"external_id": result.external_id, "action": result.action, **result.extra},
        target_external_id=result.external_id, entity=item.entity, last_error="", last_error_class="",
        last_error_field="", finished_at=timezone.now(), lease_expires_at=None, field_overrides={},
    )
    sync_attempt_finish(attempt=attempt, outcome=S.SUCCEEDED, message=message, step="done")
    if item.status == S.SUCCEEDED:
        dead_letters_superseded_resolve(item=item)
    return S.SUCCEEDED


def _finish_failed(item: SyncItem, attempt, exc: BaseException, step: str) -> str:
    where = STEP_WORDS.get(step, "")
    error_class = type(exc).__name__
    http_status = getattr(exc, "http_status", None)
    field = getattr(exc, "field", "") or ""
    status, reason = failure_outcome(exc, step)
    if status == S.RETRYING:
        retryable = isinstance(exc, RetryableError)
        if not retryable:
            logger.exception("Unexpected error in sync item %s %s", item.pk, where)
        status, reason = _retry_or_dead(item, exc, where, retryable)
    # Overrides (Edit & retry) are for one attempt; a dead letter records its cause for grouping.
    extra = {"field_overrides": {}} if status != S.RETRYING else {}
    if status == S.DEAD:
        extra.update(failure_cause(flow=item.flow, step=step, exc=exc))
    _transition(
        item, status=status, last_error=reason, last_error_class=error_class, last_error_field=field[:120],
        entity=item.entity, lease_expires_at=None, **extra,
        finished_at=timezone.now() if status in (S.DEAD, S.SKIPPED) else None,
        # parked: the due-time dispatcher (sync/wakeups.py) hands it to a worker at that time
        **({"next_attempt_at": item.next_attempt_at, "wake_at": item.next_attempt_at} if status == S.RETRYING else {}),
    )
    sync_attempt_finish(
        attempt=attempt, outcome=status, message=reason, step=step, error_class=error_class, http_status=http_status
    )
    return status


def _requeue_lock_busy(item: SyncItem, attempt, exc: LockBusy) -> str:
    """Another worker is writing the same record: run again shortly, as if this try never began.

    Not a failure and not an attempt (the attempt budget is for the remote systems' errors): the
    item is pending again, its count of attempts as before, and the attempt row just started is
    removed. ApiCalls made meanwhile (reads; nothing is written without the lock) stay linked to
    the item. Should a newer change of the record be queued meanwhile, _transition marks this
    item superseded and the newer one runs instead."""
    when = timezone.now() + timedelta(seconds=exc.retry_after or settings.SYNC_LOCK_REQUEUE_SECONDS)
    logger.info("Sync item %s waits for another worker (%s); it runs again at %s.", item.pk, exc, when)
    _transition(item, status=S.PENDING, attempts=max(0, item.attempts - 1), next_attempt_at=when, wake_at=when,
                lease_expires_at=None)
    attempt.delete()
    return SyncItem.objects.values_list("status", flat=True).get(pk=item.pk)  # pending, or skipped if superseded


def failure_outcome(exc: BaseException, step: str) -> tuple[str, str]:
    """The item's fate and the reason finance reads; RETRYING (reason left to the caller) for
    errors that may pass on another try. The batched backfills classify per record with it too."""
    where = STEP_WORDS.get(step, "")
    if isinstance(exc, SkippableError):
        return S.SKIPPED, str(exc)
    if isinstance(exc, ConflictHeld):
        return S.HELD, f"Held for review: {exc}"
    if isinstance(exc, MappingError):
        return S.DEAD, f"{exc.reason} ({where}). Fix the data or the mapping, then replay."
    if isinstance(exc, (FatalError, UnknownFlowKind)):
        return S.DEAD, f"{exc} ({where}). Fix the cause, then replay."
    return S.RETRYING, ""


def _retry_or_dead(item: SyncItem, exc: BaseException, where: str, retryable: bool) -> tuple[str, str]:
    policy = BackoffPolicy.from_settings(item.flow.max_attempts)
    text = str(exc) if retryable else f"Unexpected error: {type(exc).__name__}: {exc}"
    if policy.exhausted(item.attempts):
        return S.DEAD, f"Gave up after {item.attempts} attempts. Last error: {text} ({where}). Replay when the cause is fixed."
    item.next_attempt_at = policy.next_attempt_at(timezone.now(), item.attempts, retry_after=getattr(exc, "retry_after", None))
    when = item.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return S.RETRYING, f"{text} ({where}). Will retry at {when} (attempt {item.attempts} of {policy.max_attempts})."


def _transition(item: SyncItem, **fields) -> None:
    """Leave 'running'. If a newer open item for the same record exists, this one is superseded."""
    fields["updated_at"] = timezone.now()
    try:
        with transaction.atomic():
            SyncItem.objects.filter(pk=item.pk, status=S.RUNNING).update(**fields)
    except IntegrityError:
        SyncItem.objects.filter(pk=item.pk, status=S.RUNNING).update(
            status=S.SKIPPED, finished_at=timezone.now(), lease_expires_at=None, updated_at=timezone.now(),
            last_error="Superseded: a newer change to the same record is queued and will read it fresh.",
        )
    for name, value in fields.items():
        setattr(item, name, value)

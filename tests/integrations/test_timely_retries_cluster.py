"""Retries and lock waits cost seconds, not half a minute (issue 20, timing), with real worker clusters
(`manage.py ledgerlink_worker`: django-q2's qcluster and the due-time dispatcher) on PostgreSQL."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from integrations.models import SyncItem
from integrations.sync.items import sync_item_enqueue
from monitoring.models import SyncAttempt
from tests.cluster import qcluster, wait_until
from tests.factories import FlowFactory
from tests.integrations.handlers import target_writes

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def done(item) -> bool:
    return SyncItem.objects.filter(pk=item.pk, status__in=["succeeded", "dead"]).exists()


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_retry_runs_within_a_second_of_its_due_time(broker, pg_only, tmp_path):
    # attempt 1 meets a 429 with Retry-After 2 s; attempt 2 must start at that time, not at the
    # next tick of django-q2's scheduler (about every 30 s)
    flow = FlowFactory(settings={"records": {"001A": {"Name": "Acme"}}, "fail": [
        {"step": "create", "kind": "retryable", "attempts": [1], "retry_after": 2, "message": "429"}]})
    with qcluster(tmp_path / "qcluster.log", broker=broker):
        item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A")
        wait_until(lambda: SyncAttempt.objects.filter(sync_item=item, outcome="retrying").exists(),
                   what="the first attempt to fail")
        due = SyncItem.objects.get(pk=item.pk).next_attempt_at
        wait_until(lambda: done(item), timeout=40, what="the retry")
    first, second = SyncAttempt.objects.filter(sync_item=item).order_by("number")
    assert (first.outcome, second.outcome) == ("retrying", "succeeded")
    assert 2.0 <= (due - first.finished_at).total_seconds() <= 2.3  # Retry-After plus at most 10%
    late = (second.started_at - due).total_seconds()
    assert 0 <= late < 1.5, f"the retry started {late:.2f} s after its due time"


def test_a_record_locked_by_another_worker_is_waited_for_with_no_attempt_counted(pg_only, tmp_path):
    # Flow 1 holds the record (its create waits for the barrier file); flow 2 needs the same record's
    # lock (as the invoice flow needs an Account that flow 1 is making a client for).
    barrier = tmp_path / "release"
    holder = FlowFactory(settings={"records": {"001A": {"Name": "Acme"}}, "barrier": str(barrier)})
    waiter = FlowFactory(source_connection=holder.source_connection, settings={"records": {"001A": {"Name": "Acme"}}})
    env = {"SYNC_LOCK_WAIT_SECONDS": "0.5", "SYNC_LOCK_REQUEUE_SECONDS": "0.5"}
    with qcluster(tmp_path / "qcluster.log", workers=2, env_extra=env):
        first, _ = sync_item_enqueue(flow=holder, source_object="Account", source_id="001A")
        wait_until(lambda: Path(f"{barrier}.entered").exists(), what="flow 1 to hold the record")
        second, _ = sync_item_enqueue(flow=waiter, source_object="Account", source_id="001A")
        wait_until(lambda: SyncItem.objects.filter(pk=second.pk, status="pending", wake_at__isnull=False).exists(),
                   what="flow 2's item to be put back in the queue")
        barrier.touch()
        wait_until(lambda: done(first) and done(second), timeout=10, what="both items, within seconds")
    second.refresh_from_db()
    assert (second.status, second.attempts, second.last_error) == ("succeeded", 1, "")
    assert list(second.attempts_log.values_list("number", "outcome")) == [(1, "succeeded")]
    assert not SyncAttempt.objects.filter(outcome__in=["retrying", "dead"]).exists()


def test_parked_items_survive_a_restart_and_two_clusters_run_each_once(pg_only, tmp_path):
    # 20 items parked (due in a second) while no cluster runs: their due times are in the database.
    # Two clusters (as on two machines, each with its own dispatcher) then share them: every item
    # runs once, and each makes its one remote record.
    flow = FlowFactory(settings={"records": {f"R{n}": {"Name": f"Acme {n}"} for n in range(20)}})
    items = [sync_item_enqueue(flow=flow, source_object="Account", source_id=f"R{n}", dispatch=False)[0]
             for n in range(20)]
    due = timezone.now() + timedelta(seconds=1)
    SyncItem.objects.filter(pk__in=[i.pk for i in items]).update(status="retrying", next_attempt_at=due, wake_at=due)
    with qcluster(tmp_path / "one.log", workers=1), qcluster(tmp_path / "two.log", workers=1):
        wait_until(lambda: SyncItem.objects.filter(pk__in=[i.pk for i in items], status="succeeded").count() == 20,
                   timeout=60, what="all 20 parked items")
    assert SyncAttempt.objects.filter(sync_item__in=items).count() == 20
    assert target_writes("create") == 20

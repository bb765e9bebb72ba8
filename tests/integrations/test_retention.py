"""Retention (integrations/operations/retention.py, `manage.py prune`): what goes and what must stay."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import InboundEvent, SyncItem
from integrations.operations.retention import records_prune
from integrations.setup import SCHEDULES
from monitoring.models import Alert, ApiCall, Finding, SyncAttempt
from tests.factories import FlowFactory, InboundEventFactory, SyncItemFactory

pytestmark = pytest.mark.django_db
OLD = timezone.now() - timedelta(days=400)
E = InboundEvent.Status


def _item(flow, status, *, when=OLD, event=None, parent=None):
    item = SyncItemFactory(flow=flow, status=status, inbound_event=event, parent=parent)
    SyncItem.objects.filter(pk=item.pk).update(finished_at=when, updated_at=when)
    SyncAttempt.objects.create(sync_item=item, number=1, started_at=when, outcome="succeeded")
    call = ApiCall.objects.create(system="freshbooks", operation="x", method="GET", path="/", sync_item=item)
    ApiCall.objects.filter(pk=call.pk).update(created_at=when)
    return item


def _event(flow, status=E.PROCESSED, when=OLD):
    return InboundEventFactory(connection=flow.source_connection, status=status, received_at=when)


def test_old_succeeded_work_goes_with_its_attempts_calls_and_event():
    flow = FlowFactory()
    event = _event(flow)
    item = _item(flow, "succeeded", event=event)
    ignored = _event(flow, E.IGNORED)
    loose = ApiCall.objects.create(system="salesforce", operation="poll", method="GET", path="/q")
    ApiCall.objects.filter(pk=loose.pk).update(created_at=OLD)

    report = records_prune()

    assert not SyncItem.objects.filter(pk=item.pk).exists()
    assert not SyncAttempt.objects.exists() and not ApiCall.objects.exists()
    assert not InboundEvent.objects.filter(pk__in=[event.pk, ignored.pk]).exists()
    assert report.counts == {"attempts": 1, "API calls": 2, "sync items": 1, "inbound events": 2}


@pytest.mark.parametrize("status", ["dead", "held", "pending", "retrying", "running"])
def test_dead_held_open_and_running_items_stay_with_their_evidence(status):
    flow = FlowFactory()
    event = _event(flow)
    item = _item(flow, status, event=event)
    parent = _item(flow, "succeeded")
    SyncItem.objects.filter(pk=item.pk).update(parent=parent)

    records_prune()

    assert SyncItem.objects.filter(pk__in=[item.pk, parent.pk]).count() == 2  # its chain stays readable
    assert SyncAttempt.objects.filter(sync_item=item).exists()
    assert ApiCall.objects.filter(sync_item=item).exists()
    assert InboundEvent.objects.filter(pk=event.pk).exists()


def test_recent_rows_unrouted_and_failed_events_stay():
    flow = FlowFactory()
    recent = _item(flow, "succeeded", when=timezone.now() - timedelta(days=1))
    waiting, failed = _event(flow, E.RECEIVED), _event(flow, E.FAILED)
    fresh = _event(flow, E.PROCESSED, when=timezone.now())

    records_prune()

    assert SyncItem.objects.filter(pk=recent.pk).exists()
    assert SyncAttempt.objects.filter(sync_item=recent).exists()
    assert InboundEvent.objects.filter(pk__in=[waiting.pk, failed.pk, fresh.pk]).count() == 3


def test_rows_a_finding_or_an_open_alert_names_stay():
    flow = FlowFactory()
    in_finding, by_subject, in_alert, in_closed_alert = (_item(flow, "succeeded") for _ in range(4))
    event = _event(flow)
    call = ApiCall.objects.create(system="freshbooks", operation="x", method="GET", path="/")
    ApiCall.objects.filter(pk=call.pk).update(created_at=OLD)
    now = timezone.now()
    Finding.objects.create(check_name="amount_mismatch", fingerprint="f1", title="t", first_seen_at=now,
                           last_seen_at=now, status=Finding.Status.DISMISSED,
                           records=[{"label": "Sync item", "sync_item_id": in_finding.pk}])
    Finding.objects.create(check_name="x", fingerprint="f2", title="t", first_seen_at=now, last_seen_at=now,
                           details={"subject": f"item:{by_subject.pk}", "event_id": event.pk})
    Alert.objects.create(kind="k", key="a1", title="t", details={"sync_item_ids": [in_alert.pk],
                                                                 "api_call_id": call.pk})
    Alert.objects.create(kind="k", key="a2", title="t", status=Alert.Status.RESOLVED,
                         details={"sync_item_id": in_closed_alert.pk})

    records_prune()

    assert set(SyncItem.objects.values_list("pk", flat=True)) == {in_finding.pk, by_subject.pk, in_alert.pk}
    assert SyncAttempt.objects.filter(sync_item=in_finding).exists()
    assert InboundEvent.objects.filter(pk=event.pk).exists()
    assert ApiCall.objects.filter(pk=call.pk).exists()


def test_batches_of_the_given_size_delete_everything_across_the_boundary():
    flow = FlowFactory()
    for _ in range(7):
        _event(flow)
    with CaptureQueriesContext(connection) as queries:
        report = records_prune(batch_size=3)
    deletes = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith("DELETE") and "inboundevent" in q["sql"]]
    assert report.counts["inbound events"] == 7 and not InboundEvent.objects.exists()
    assert len(deletes) == 3  # 3 + 3 + 1: one DELETE per batch, none larger than the batch


def test_exactly_one_full_batch_then_an_empty_read():
    flow = FlowFactory()
    for _ in range(3):
        _event(flow)
    assert records_prune(batch_size=3).counts["inbound events"] == 3
    assert not InboundEvent.objects.exists()


def test_zero_days_keeps_a_kind_forever(settings):
    settings.RETENTION_EVENTS_DAYS = 0
    flow = FlowFactory()
    event = _event(flow)
    assert records_prune().counts["inbound events"] == 0
    assert InboundEvent.objects.filter(pk=event.pk).exists()


def test_the_age_is_the_setting(settings):
    settings.RETENTION_EVENTS_DAYS = 10
    flow = FlowFactory()
    _older, younger = _event(flow, when=timezone.now() - timedelta(days=11)), _event(flow, when=timezone.now() - timedelta(days=9))
    records_prune()
    assert list(InboundEvent.objects.values_list("pk", flat=True)) == [younger.pk]


def test_command_dry_run_counts_and_deletes_nothing():
    flow = FlowFactory()
    _item(flow, "succeeded", event=_event(flow))
    _item(flow, "dead")
    out = StringIO()
    call_command("prune", "--dry-run", stdout=out)
    assert out.getvalue().strip() == ("Retention would delete: 1 attempts, 1 API calls, 1 sync items, "
                                      "0 inbound events.")  # the event goes once its item has gone
    assert SyncItem.objects.count() == 2 and InboundEvent.objects.count() == 1
    out = StringIO()
    call_command("prune", stdout=out)
    assert out.getvalue().startswith("Retention deleted: 1 attempts, 1 API calls, 1 sync items, 1 inbound events")
    assert list(SyncItem.objects.values_list("status", flat=True)) == ["dead"]


def test_it_runs_daily():
    assert ("ledgerlink: delete records past their retention age", "integrations.tasks.records_prune",
            24 * 60) in SCHEDULES

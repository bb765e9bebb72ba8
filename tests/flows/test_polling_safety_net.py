"""Polling as the safety net under webhooks and change events (issue 13, item 3), over real HTTP
against both simulators: flows poll by default; the SystemModstamp watermark is Salesforce's own
clock read again with minutes of overlap (late commits are caught, nothing is queued twice); a
broken flow's poll is recorded on it and stops no other flow; the simulator stamps whole seconds
and two changes in the same second across a poll boundary are both synced.

The clock is set, never waited for: ``clock`` (tests/flows/conftest.py) freezes
django.utils.timezone.now (the simulator's clock and ours) and each poll is given its ``now``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from integrations.models import Cursor, Flow, SyncItem
from integrations.sync.engine import sync_item_process
from integrations.triggers.polling import flow_poll, flows_poll_due
from monitoring.alerts.services import alert_rules_evaluate
from monitoring.models import Alert, AlertRule

pytestmark = pytest.mark.django_db(transaction=True)
S = SyncItem.Status
OPP_FLOW = "sf-opportunity-to-fb-invoice"


def process_open():
    for item in SyncItem.objects.filter(status=S.PENDING):
        sync_item_process(item_id=item.pk)


def items_of(source_id: str) -> int:
    return SyncItem.objects.filter(flow__name=OPP_FLOW, source_id=source_id).count()


def test_a_flow_created_without_an_interval_polls(world):
    opp = world.won_opportunity(account="Default Co", email="a@default.test")
    template = Flow.objects.get(name=OPP_FLOW)
    flow = Flow.objects.create(
        name="opportunities-made-without-an-interval", kind=template.kind, source_connection=template.source_connection,
        source_object="Opportunity", target_connection=template.target_connection, target_object="invoice",
        trigger=Flow.Trigger.CHANGE_EVENT, settings=template.settings)
    assert flow.poll_interval_minutes == 15
    reports = {r.flow: r for r in flows_poll_due()}
    assert reports[flow.name].error == "" and reports[flow.name].enqueued == 1
    assert SyncItem.objects.filter(flow=flow, source_id=opp, hint__reason="poll").count() == 1


def test_a_late_commit_inside_the_overlap_is_caught_and_nothing_is_queued_twice(world, clock):
    t = clock.at
    flow = Flow.objects.get(name=OPP_FLOW)
    first = world.won_opportunity(account="First Co", email="a@first.test")  # SystemModstamp t
    assert flow_poll(flow=flow, now=t + timedelta(seconds=1)).enqueued == 1
    # A transaction that wrote 30 s before the stamp the poll read, and committed only now.
    clock.set(t - timedelta(seconds=30))
    late = world.won_opportunity(account="Late Co", email="a@late.test")
    clock.set(t + timedelta(seconds=2))
    second = flow_poll(flow=flow, now=t + timedelta(seconds=2))
    assert (second.enqueued, second.already_synced, second.error) == (1, 1, ""), second
    assert items_of(late) == 1 and items_of(first) == 1
    clock.set(t + timedelta(minutes=1))  # the workers' turn
    process_open()
    # Our write-backs changed both stamps: read once more, found unchanged; then nothing is queued.
    clock.set(t + timedelta(minutes=2))
    flow_poll(flow=flow, now=t + timedelta(minutes=2))
    process_open()
    clock.set(t + timedelta(minutes=3))
    again = flow_poll(flow=flow, now=t + timedelta(minutes=3))  # both re-read inside the overlap
    assert (again.seen, again.enqueued, again.already_synced) == (2, 0, 2), again
    assert sorted(i["po_number"] for i in world.fb_objects("invoice")) == sorted([first, late])


def test_the_watermark_is_salesforces_clock_not_ours(world, clock):
    ours = clock.at
    clock.set(ours + timedelta(minutes=10))  # Salesforce's clock runs ten minutes ahead of ours
    world.won_opportunity(account="Ahead Co", email="a@ahead.test")
    stamp = datetime.fromisoformat(world.sf.query(
        "SELECT SystemModstamp FROM Opportunity ORDER BY SystemModstamp DESC LIMIT 1")["records"][0]["SystemModstamp"])
    flow = Flow.objects.get(name=OPP_FLOW)
    assert flow_poll(flow=flow, now=ours).enqueued == 1
    assert datetime.fromisoformat(Cursor.objects.get(flow=flow, stream="poll").value) == stamp


def test_simulator_stamps_are_whole_seconds(world, clock):
    clock.set(clock.at.replace(microsecond=123456))
    account = world.sf_create("Account", {"Name": "Stamped Co"})
    world.sf_update("Account", account, {"Phone": "555-0100"})
    record = world.sf.query(
        f"SELECT CreatedDate, LastModifiedDate, SystemModstamp FROM Account WHERE Id = '{account}'")["records"][0]
    for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        assert record[name].endswith(".000+0000"), (name, record[name])


def test_two_changes_in_the_same_second_across_a_poll_boundary_are_both_synced(world, clock):
    t = clock.at
    flow = Flow.objects.get(name=OPP_FLOW)
    first = world.won_opportunity(account="Same Second A", email="a@same-a.test")
    assert flow_poll(flow=flow, now=t + timedelta(milliseconds=300)).enqueued == 1
    second = world.won_opportunity(account="Same Second B", email="a@same-b.test")  # the same second, t
    assert world.sf_record(first)["SystemModstamp"] == world.sf_record(second)["SystemModstamp"]
    report = flow_poll(flow=flow, now=t + timedelta(milliseconds=600))
    assert (report.enqueued, report.already_synced) == (1, 1), report
    clock.set(t + timedelta(minutes=1))  # the workers' turn
    process_open()
    assert items_of(first) == 1 and items_of(second) == 1
    assert sorted(i["po_number"] for i in world.fb_objects("invoice")) == sorted([first, second])


def broken_flow_beside_a_payment(world) -> tuple[Flow, Flow]:
    """A FreshBooks payment waiting to be polled, and a flow sorted before every other one whose
    reader breaks (FreshBooks' reader knows no "estimate" resource: a KeyError, not a SyncError)."""
    opp = world.won_opportunity(lines=(("Consulting hour", "CONS-H", 100, 1),))
    world.run(OPP_FLOW, "Opportunity", opp)
    [invoice] = world.fb_objects("invoice")
    world.pay(invoice["id"], "100.00")
    payments = Flow.objects.get(name="fb-payment-to-sf-opportunity")
    Flow.objects.filter(pk=payments.pk).update(poll_interval_minutes=5)
    broken = Flow.objects.create(
        name="aaa-broken-estimates", kind=payments.kind, source_connection=payments.source_connection,
        source_object="estimate", target_connection=payments.target_connection, target_object="Opportunity",
        poll_interval_minutes=5)
    return broken, payments


def test_a_second_change_of_a_record_in_the_second_it_was_synced_is_polled(world, clock):
    t = clock.at
    account = world.sf_create("Account", {"Name": "Quick Co", "BillingCity": "Springfield"})
    clock.set(t + timedelta(minutes=1))
    to_fb = "sf-account-to-fb-client"
    world.run(to_fb, "Account", account)  # as its change event had it; writes the client id back
    assert world.run(to_fb, "Account", account).result["action"] == "unchanged"  # the write-back's echo, read
    [client] = world.fb_objects("client")
    # Changed again within that second, after our read: the same whole-second SystemModstamp.
    stamp = world.sf_record(account)["SystemModstamp"]
    world.sf_update("Account", account, {"BillingCity": "Capital City"})
    assert world.sf_record(account)["SystemModstamp"] == stamp
    report = flow_poll(flow=Flow.objects.get(name=to_fb), now=t + timedelta(minutes=1))
    assert report.enqueued == 1, report
    clock.set(t + timedelta(minutes=2))
    process_open()
    assert [c["p_city"] for c in world.fb_objects("client") if c["id"] == client["id"]] == ["Capital City"]
    # Read after its second ended: the next poll knows it is synced.
    again = flow_poll(flow=Flow.objects.get(name=to_fb), now=t + timedelta(minutes=2))
    assert again.enqueued == 0 and again.already_synced >= 1, again


def test_a_broken_flow_stops_no_other_flow_and_its_error_is_recorded_on_it(world):
    broken, payments = broken_flow_beside_a_payment(world)
    reports = {r.flow: r for r in flows_poll_due()}
    assert "KeyError" in reports[broken.name].error
    assert reports[payments.name].error == "" and reports[payments.name].enqueued == 1
    broken.refresh_from_db()
    assert "KeyError" in broken.poll_error and broken.poll_failures == 1 and broken.poll_error_at
    # Fixed: its next poll clears the record.
    Flow.objects.filter(pk=broken.pk).update(source_object="payment")
    assert flow_poll(flow=Flow.objects.get(pk=broken.pk)).error == ""
    broken.refresh_from_db()
    assert (broken.poll_error, broken.poll_failures, broken.poll_error_at) == ("", 0, None)


def test_a_failing_poll_is_alertable_and_resolves_when_it_polls_again(world):
    broken, _ = broken_flow_beside_a_payment(world)
    rule = AlertRule.objects.create(name="polls failing", kind=AlertRule.Kind.POLL_FAILING)
    flows_poll_due()
    alert_rules_evaluate()
    alert = Alert.objects.get(rule=rule, status=Alert.Status.OPEN)
    assert alert.key == f"rule:{rule.pk}:flow:{broken.pk}" and "KeyError" in alert.message
    Flow.objects.filter(pk=broken.pk).update(source_object="payment")
    flow_poll(flow=Flow.objects.get(pk=broken.pk))
    alert_rules_evaluate()
    assert not Alert.objects.filter(rule=rule, status=Alert.Status.OPEN).exists()

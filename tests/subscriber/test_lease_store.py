"""The subscriber's lease and its fenced store (no process: the database parts)."""
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models.functions import Now

from integrations.connectors.receiving import ParsedEvent
from integrations.models import Cursor, InboundEvent, PubSubSubscription, SubscriberLease
from integrations.triggers.subscriber.catchup import poll_cursor_rewind
from integrations.triggers.subscriber.lease import LeaseLost, lease_acquire, lease_release
from integrations.triggers.subscriber.store import pubsub_batch_store
from integrations.triggers.subscriber.topics import change_event_topic, connection_topics
from tests.factories import ConnectionFactory, FlowFactory

pytestmark = pytest.mark.django_db


def _parsed(n):
    return ParsedEvent(dedupe_key=f"replay:{n:04x}:001X{n}", event_type="Account.UPDATE", object_type="Account",
                       object_id=f"001X{n}", payload={"changeType": "UPDATE"})


def test_one_holder_at_a_time_and_an_expired_lease_is_taken_over():
    connection = ConnectionFactory(system="salesforce")
    assert lease_acquire(connection_id=connection.pk, holder="a")
    assert not lease_acquire(connection_id=connection.pk, holder="b")
    assert lease_acquire(connection_id=connection.pk, holder="a")  # renewal
    SubscriberLease.objects.filter(pk=connection.pk).update(lease_until=Now() - timedelta(seconds=1))
    assert lease_acquire(connection_id=connection.pk, holder="b")
    assert not lease_acquire(connection_id=connection.pk, holder="a")
    lease_release(connection_id=connection.pk, holder="b")
    assert lease_acquire(connection_id=connection.pk, holder="a")


def test_a_former_holder_stores_nothing_and_moves_no_replay_id():
    connection = ConnectionFactory(system="salesforce")
    subscription = PubSubSubscription.objects.create(connection=connection, topic="/data/AccountChangeEvent",
                                                     replay_id="aa")
    assert lease_acquire(connection_id=connection.pk, holder="a")
    assert pubsub_batch_store(connection=connection, subscription=subscription, holder="a", events=[_parsed(1)],
                              replay_id_hex="ab", last_commit_at=datetime(2026, 1, 1, tzinfo=UTC)) == 1
    SubscriberLease.objects.filter(pk=connection.pk).update(lease_until=Now() - timedelta(seconds=1))
    assert lease_acquire(connection_id=connection.pk, holder="b")
    with pytest.raises(LeaseLost):
        pubsub_batch_store(connection=connection, subscription=subscription, holder="a", events=[_parsed(2)],
                           replay_id_hex="ac", last_commit_at=None)
    subscription.refresh_from_db()
    assert subscription.replay_id == "ab" and subscription.events_stored == 1
    assert list(InboundEvent.objects.values_list("object_id", flat=True)) == ["001X1"]


def test_a_repeat_is_stored_once_and_a_keepalive_moves_the_replay_id():
    connection = ConnectionFactory(system="salesforce")
    subscription = PubSubSubscription.objects.create(connection=connection, topic="/data/AccountChangeEvent")
    lease_acquire(connection_id=connection.pk, holder="a")
    for _ in range(2):
        pubsub_batch_store(connection=connection, subscription=subscription, holder="a", events=[_parsed(1)],
                           replay_id_hex="01", last_commit_at=None)
    pubsub_batch_store(connection=connection, subscription=subscription, holder="a", events=[], replay_id_hex="09",
                       last_commit_at=None, keepalive=True)
    subscription.refresh_from_db()
    assert InboundEvent.objects.count() == 1 and subscription.events_stored == 1
    assert subscription.replay_id == "09" and subscription.last_keepalive_at is not None


def test_topics_per_object_or_one_custom_channel():
    flow = FlowFactory(source_object="Opportunity")
    FlowFactory(source_connection=flow.source_connection, source_object="Invoice__c")
    FlowFactory(source_connection=flow.source_connection, source_object="Account", enabled=False)
    assert sorted(connection_topics(flow.source_connection)) == ["/data/Invoice__ChangeEvent",
                                                                 "/data/OpportunityChangeEvent"]
    flow.source_connection.settings = {"pubsub_channel": "/data/Ledgerlink__chn"}
    assert list(connection_topics(flow.source_connection)) == ["/data/Ledgerlink__chn"]
    assert change_event_topic("Account") == "/data/AccountChangeEvent"


def test_catch_up_moves_a_poll_cursor_back_never_forward():
    flow = FlowFactory(source_object="Account", kind="salesforce-account-to-freshbooks-client")
    gap = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    Cursor.objects.create(connection=flow.source_connection, flow=flow, stream="poll",
                          value=(gap + timedelta(hours=1)).isoformat())
    assert poll_cursor_rewind(flow, gap)
    assert Cursor.objects.get(flow=flow, stream="poll").value == gap.isoformat()
    assert not poll_cursor_rewind(flow, gap + timedelta(hours=2))
    assert Cursor.objects.get(flow=flow, stream="poll").value == gap.isoformat()

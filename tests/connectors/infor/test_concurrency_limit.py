"""A connection's concurrency limit holds across processes (two machines' workers): the M3 simulator
never has more of its calls in flight than the limit (issue 17). A call finding every slot taken
waits, then raises SlotBusy, a LockBusy (the engine requeues the item without counting an attempt),
and never reaches the system."""
import multiprocessing
from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone

from integrations.concurrency import SlotBusy, connection_slots_limit
from integrations.connectors.infor.ionapi import connection_ionapi_connect
from integrations.connectors.infor.m3 import M3Client
from integrations.errors import LockBusy
from integrations.models import Connection, SyncLock
from integrations.sandbox.infor.inflight import in_flight_peak, in_flight_reset
from monitoring.models import ApiCall
from tests.connectors.infor.slot_worker import call_m3_in_threads
from tests.factories import ConnectionFactory

PROCESSES, THREADS, CALLS, LIMIT = 2, 4, 3, 2


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_never_have_more_calls_in_flight_than_the_limit(pg_only, m3_connection, fault):
    connection_ionapi_connect(connection=m3_connection)  # a token exists: the calls measured are M3's own
    m3_connection.settings = {**m3_connection.settings, "max_concurrent_calls": LIMIT}
    m3_connection.save(update_fields=["settings"])
    fault("latency", remaining=PROCESSES * THREADS * CALLS, latency_ms=250)  # calls long enough to overlap
    in_flight_reset()
    settings = db.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    processes = [context.Process(target=call_m3_in_threads, args=(url, m3_connection.pk, THREADS, CALLS, barrier, results))
                 for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(PROCESSES * THREADS)]
    for process in processes:
        process.join(timeout=30)
    assert outcomes == ["ok"] * (PROCESSES * THREADS)
    assert ApiCall.objects.filter(operation="CRS610MI/LstByNumber", status_code=200).count() == PROCESSES * THREADS * CALLS
    # eight callers at once: the limit, reached and never passed
    assert in_flight_peak() == LIMIT
    assert not SyncLock.objects.filter(key__startswith=f"slot:{m3_connection.pk}:").exists()  # every slot given back


@pytest.mark.django_db
def test_a_call_finding_every_slot_taken_is_requeued_and_never_sent(m3_connection, settings):
    connection_ionapi_connect(connection=m3_connection)
    settings.CONNECTION_SLOT_WAIT_SECONDS = 0.2
    for n in range(connection_slots_limit(m3_connection)):  # another machine's workers hold them all
        SyncLock.objects.create(key=f"slot:{m3_connection.pk}:{n}", holder="other-host:1",
                                expires_at=timezone.now() + timedelta(minutes=5))
    in_flight_reset()
    calls_before = ApiCall.objects.count()
    with pytest.raises(SlotBusy) as busy:
        M3Client(Connection.objects.get(pk=m3_connection.pk)).execute("CRS610MI", "LstByNumber")
    assert isinstance(busy.value, LockBusy)  # the engine's "run again shortly, no attempt" path
    assert ApiCall.objects.count() == calls_before and in_flight_peak() == 0
    SyncLock.objects.filter(key=f"slot:{m3_connection.pk}:0").update(expires_at=timezone.now() - timedelta(seconds=1))
    M3Client(Connection.objects.get(pk=m3_connection.pk)).execute("CRS610MI", "LstByNumber")  # a dead holder's slot
    assert in_flight_peak() == 1


def test_limits_default_per_system_and_are_overridable_per_connection():
    assert connection_slots_limit(ConnectionFactory.build(system="freshbooks", settings={})) == 4
    assert connection_slots_limit(ConnectionFactory.build(system="salesforce", settings={})) == 8
    assert connection_slots_limit(ConnectionFactory.build(system="infor", settings={"max_concurrent_calls": 2})) == 2
    assert connection_slots_limit(ConnectionFactory.build(system="shopify", settings={"max_concurrent_calls": "x"})) == 4

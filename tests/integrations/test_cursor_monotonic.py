"""Two polls of one flow overlapping (two clusters, or a poll outlasting its interval) never move its
cursor backwards (issue 17): the poll that read further may commit first. Two threads, each on its
own PostgreSQL connection, interleaved by barriers and by waiting until one is blocked on the other's
row lock (read from pg_locks), never by sleeping."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from integrations.cursors import POLL, cursor_advance, cursor_position_key, flow_cursor
from integrations.models import Cursor
from tests.factories import FlowFactory

EARLIER, LATER = datetime(2026, 12, 7, 9, 0, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _in_thread(target, errors):
    def run():
        try:
            target()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _blocked_on_a_lock() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cur.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_poll_that_read_further_committing_first_is_not_undone(pg_only):
    flow = FlowFactory()
    cursor = flow_cursor(flow=flow, stream=POLL)
    both_read, further_committed = threading.Barrier(2, timeout=30), threading.Barrier(2, timeout=30)
    errors = []

    def poll(position, *, first):
        mine = Cursor.objects.get(pk=cursor.pk)  # each poll starts from the cursor as it was
        both_read.wait()
        if not first:
            further_committed.wait()
        with transaction.atomic():  # as _flow_poll: the items and the cursor in one transaction
            cursor_advance(cursor=mine, value=position)
        if first:
            further_committed.wait()

    threads = [_in_thread(lambda: poll(LATER, first=True), errors), _in_thread(lambda: poll(EARLIER, first=False), errors)]
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert Cursor.objects.get(pk=cursor.pk).value == LATER.isoformat()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_poll_waiting_on_the_other_polls_transaction_reads_its_position(pg_only):
    flow = FlowFactory()
    cursor = flow_cursor(flow=flow, stream=POLL)
    further_written, release = threading.Event(), threading.Event()
    errors = []

    def further():
        with transaction.atomic():
            cursor_advance(cursor=Cursor.objects.get(pk=cursor.pk), value=LATER)
            further_written.set()
            assert release.wait(30)  # the transaction stays open until the other poll waits on it

    def behind():
        assert further_written.wait(30)
        with transaction.atomic():
            cursor_advance(cursor=Cursor.objects.get(pk=cursor.pk), value=EARLIER)

    threads = [_in_thread(further, errors), _in_thread(behind, errors)]
    deadline = time.monotonic() + 30
    while not _blocked_on_a_lock() and not errors:
        assert time.monotonic() < deadline, "the second poll never waited on the first one's row lock"
        time.sleep(0.02)
    release.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert Cursor.objects.get(pk=cursor.pk).value == LATER.isoformat()


def test_positions_compare_as_times_numbers_or_text():
    assert cursor_position_key("2026-12-07T10:00:00+01:00") < cursor_position_key("2026-12-07T09:30:00+00:00")
    assert cursor_position_key("9") < cursor_position_key("10")
    assert cursor_position_key("20261207100000") < cursor_position_key("20261207100001")


@pytest.mark.django_db
def test_a_later_position_still_moves_the_cursor_forward():
    cursor = flow_cursor(flow=FlowFactory(), stream=POLL)
    cursor_advance(cursor=cursor, value=EARLIER)
    cursor_advance(cursor=cursor, value=LATER)
    cursor_advance(cursor=cursor, value=EARLIER)
    cursor.refresh_from_db()
    assert cursor.value == LATER.isoformat() and cursor.last_run_at is not None

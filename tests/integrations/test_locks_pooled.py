"""Per-record locks are lease rows (integrations/locking.py), so they hold on any number of machines
and behind PgBouncer in transaction mode (issue 17). What the design relies on, tested directly: a
lease held by one holder is refused to every other (another connection included) until it is
released or its lease ends; then, through a real PgBouncer in transaction mode sharing one server
connection between two clients, the lease still excludes, where a session-level advisory lock does not."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from copy import deepcopy
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.utils import timezone

from integrations.errors import LockBusy
from integrations.locking import binding_lock, lease_release, lease_try
from integrations.models import SyncItem, SyncLock
from integrations.sync.items import sync_item_enqueue
from tests.processes import process_group_stop

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@pytest.mark.django_db
def test_a_held_lease_is_refused_to_other_holders_until_released(settings):
    settings.SYNC_LOCK_WAIT_SECONDS = 0
    assert lease_try("k:1", "worker-a")
    assert not lease_try("k:1", "worker-b")
    with pytest.raises(LockBusy):  # the engine's lock on the same key: busy, the item is requeued
        with binding_lock("k:1"):
            pass
    lease_release("k:1", "worker-b")  # not its lease: nothing happens
    assert not lease_try("k:1", "worker-b")
    lease_release("k:1", "worker-a")
    assert lease_try("k:1", "worker-b")


@pytest.mark.django_db
def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_free_it():
    assert lease_try("k:2", "dead-worker", seconds=-1)  # a worker that died holding it, lease ended
    assert lease_try("k:2", "worker-b")
    lease_release("k:2", "dead-worker")
    assert SyncLock.objects.get(key="k:2").holder == "worker-b"


@pytest.mark.django_db
def test_a_lease_whose_holder_process_on_this_machine_is_gone_is_taken_at_once(settings):
    settings.SYNC_LOCK_WAIT_SECONDS = 0
    gone = 2 ** 22 + 1  # above Linux's largest pid: no such process
    SyncLock.objects.create(key="k:6", holder=f"{socket.gethostname()}:{gone}:abc",
                            expires_at=timezone.now() + timedelta(hours=1))
    SyncLock.objects.create(key="k:7", holder=f"{socket.gethostname()}:{os.getpid()}:abc",  # alive: kept
                            expires_at=timezone.now() + timedelta(hours=1))
    SyncLock.objects.create(key="k:8", holder=f"other-machine:{gone}:abc",  # cannot be checked: its lease runs
                            expires_at=timezone.now() + timedelta(hours=1))
    with binding_lock("k:6"):
        assert SyncLock.objects.get(key="k:6").holder.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    for key in ("k:7", "k:8"):
        with pytest.raises(LockBusy):
            with binding_lock(key):
                pass


@pytest.mark.django_db
def test_the_sweeper_frees_the_locks_of_a_lost_items_worker_on_another_machine():
    from integrations.sync.sweeper import sync_items_dispatch_due
    from monitoring.models import SyncAttempt
    from tests.factories import FlowFactory

    item, _ = sync_item_enqueue(flow=FlowFactory(), source_object="Account", source_id="001L", dispatch=False)
    SyncItem.objects.filter(pk=item.pk).update(status=SyncItem.Status.RUNNING, attempts=1,
                                               lease_expires_at=timezone.now() - timedelta(seconds=1))
    SyncAttempt.objects.create(sync_item_id=item.pk, number=1, worker="machine-b:123", started_at=timezone.now())
    later = timezone.now() + timedelta(hours=1)
    SyncLock.objects.create(key="k:9", holder="machine-b:123:abc", expires_at=later)
    SyncLock.objects.create(key="k:10", holder="machine-b:1234:abc", expires_at=later)  # another worker
    assert sync_items_dispatch_due()["stale_recovered"] == 1
    assert list(SyncLock.objects.filter(key__in=["k:9", "k:10"]).values_list("key", flat=True)) == ["k:10"]


@pytest.mark.django_db
def test_binding_lock_is_reentrant_in_its_thread_and_frees_the_row():
    with binding_lock("k:3"):
        with binding_lock("k:3", wait=0):  # a flow step locking a record its item's lock covers
            assert SyncLock.objects.filter(key="k:3").count() == 1
        assert SyncLock.objects.filter(key="k:3").exists()  # the outer hold still stands
    assert not SyncLock.objects.filter(key="k:3").exists()


def _connection_to(settings_dict: dict, **overrides) -> DatabaseWrapper:
    """Another client connection to the test database (a second worker), through ``overrides``."""
    conf = deepcopy(settings_dict)
    conf.update(overrides)
    return DatabaseWrapper(conf, alias=f"other-{time.monotonic_ns()}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_another_connection_cannot_take_a_held_lease_until_released_or_expired(pg_only):
    other = _connection_to(connection.settings_dict)
    try:
        assert lease_try("k:4", "worker-a", seconds=1.0)
        assert not lease_try("k:4", "worker-b", db=other)
        lease_release("k:4", "worker-a")
        assert lease_try("k:4", "worker-b", db=other, seconds=0.3)
        assert not lease_try("k:4", "worker-a")
        deadline = time.monotonic() + 10
        while not lease_try("k:4", "worker-a"):  # worker-b "died": its lease runs out
            assert time.monotonic() < deadline, "an expired lease was never taken over"
            time.sleep(0.05)
        assert SyncLock.objects.get(key="k:4").holder == "worker-a"
    finally:
        other.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def pgbouncer_transaction_mode(settings_dict: dict):
    """PgBouncer in front of the test database, transaction pooling, ONE server connection (so two
    clients share it, as many workers share a few). Yields its port; stopped after."""
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer is not installed (apt-get install pgbouncer): the lock's pooler test cannot run")
    port, workdir = _free_port(), Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    workdir.chmod(0o755)  # run as root, pgbouncer drops to the postgres user (-u), which must read these
    db = settings_dict
    (workdir / "users.txt").write_text(f'"{db["USER"]}" "{db["PASSWORD"] or ""}"\n')
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{db['NAME']} = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {workdir / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 1\nmin_pool_size = 0\nmax_client_conn = 20\n"
        f"logfile = {workdir / 'pgbouncer.log'}\n")
    for name in ("users.txt", "pgbouncer.ini"):
        (workdir / name).chmod(0o644)
    command = [PGBOUNCER, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        command[1:1] = ["-u", "postgres"]
        shutil.chown(workdir, user="postgres")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, f"pgbouncer exited: {(workdir / 'pgbouncer.log').read_text()}"
                assert time.monotonic() < deadline, "pgbouncer did not listen within 20 s"
                time.sleep(0.1)
        yield port
    finally:
        process_group_stop(process, grace=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_behind_pgbouncer_in_transaction_mode_a_lease_excludes_where_advisory_locks_do_not(pg_only):
    with pgbouncer_transaction_mode(connection.settings_dict) as port:
        pooled = dict(HOST="127.0.0.1", PORT=port, DISABLE_SERVER_SIDE_CURSORS=True, CONN_MAX_AGE=0)
        worker_a = _connection_to(connection.settings_dict, **pooled)
        worker_b = _connection_to(connection.settings_dict, **pooled)
        try:
            # The old design's failure, shown on this very pooler: worker A's session lock lives on the
            # one server connection, which worker B's next statement also gets, so B "takes" it too.
            with worker_a.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(4242)")
                assert cur.fetchone()[0]
            with worker_b.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(4242)")
                assert cur.fetchone()[0], "the pooler did not share its server connection: this test shows nothing"
                cur.execute("SELECT pg_advisory_unlock_all()")
            # The lease: B is refused while A holds it, and takes it once A gives it back.
            assert lease_try("k:5", "worker-a", db=worker_a)
            assert not lease_try("k:5", "worker-b", db=worker_b)
            assert not lease_try("k:5", "worker-b", db=worker_b)
            lease_release("k:5", "worker-a", db=worker_a)
            assert lease_try("k:5", "worker-b", db=worker_b)
            assert not lease_try("k:5", "worker-a", db=worker_a)
        finally:
            worker_a.close()
            worker_b.close()

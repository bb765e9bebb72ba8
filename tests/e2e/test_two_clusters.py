"""Two worker clusters, each in its own process group as on two machines, share one queue on the
Redis broker and one PostgreSQL database, and process one burst of Closed Won deals (issue 17):
every item runs exactly once and the FreshBooks simulator gets exactly one client per Account and
one invoice per deal, however the two clusters' workers meet on the shared Accounts."""
from __future__ import annotations

import os

import pytest

from integrations.models import SyncItem
from integrations.sandbox.freshbooks.models import SimObject
from integrations.sync.items import sync_item_enqueue
from monitoring.models import SyncAttempt
from tests.cluster import qcluster, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ACCOUNTS, DEALS_PER_ACCOUNT = 4, 6
OPP_FLOW = "sf-opportunity-to-fb-invoice"


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:  # "pid (comm) state ppid …"; comm may hold spaces
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _cluster_of(pid: int, *roots: int) -> int | None:
    """Which started process (a supervisor, whose cluster runs in a process group of its own) a worker descends from."""
    while pid > 1:
        if pid in roots:
            return pid
        pid = _parent(pid)
    return None


def test_two_clusters_on_redis_process_one_burst_exactly_once(world, live_server, tmp_path, pg_only):
    opps = []
    for a in range(ACCOUNTS):
        account = world.sf_create("Account", {"Name": f"Burst Customer {a}", "BillingCity": "Springfield"})
        for _ in range(DEALS_PER_ACCOUNT):
            opps.append(world.won_opportunity(account=f"Burst Customer {a}", email=f"ap{a}@burst.test",
                                              account_id=account))
    clients_before, invoices_before = (SimObject.objects.filter(kind=k).count() for k in ("client", "invoice"))
    name = f"two-machines-{os.getpid()}"
    with qcluster(tmp_path / "a.log", broker="redis", workers=2, name=name) as first, \
            qcluster(tmp_path / "b.log", broker="redis", workers=2, name=name) as second:
        flow = world.flow(OPP_FLOW)
        items = [sync_item_enqueue(flow=flow, source_object="Opportunity", source_id=opp)[0]  # one burst, to Redis
                 for opp in opps]
        wait_until(lambda: not SyncItem.objects.filter(pk__in=[i.pk for i in items]).exclude(
            status=SyncItem.Status.SUCCEEDED).exists(), timeout=240,
            what=f"both clusters to finish the burst ({first.log_tail()[-500:]} | {second.log_tail()[-500:]})")
        attempts = SyncAttempt.objects.filter(sync_item_id__in=[i.pk for i in items])
        # both "machines" did part of it: the workers that ran the items belong to both process groups
        workers = {int(worker.rsplit(":", 1)[1]) for worker in attempts.values_list("worker", flat=True)}
        assert {_cluster_of(pid, first.process.pid, second.process.pid) for pid in workers} == {
            first.process.pid, second.process.pid}
    # exactly once: one finished try per item (a lock wait is no try), one invoice per deal, one client per Account
    assert sorted(attempts.values_list("sync_item_id", flat=True)) == sorted(i.pk for i in items)
    assert set(attempts.values_list("outcome", flat=True)) == {"succeeded"}
    assert SimObject.objects.filter(kind="invoice").count() - invoices_before == len(opps)
    assert SimObject.objects.filter(kind="client").count() - clients_before == ACCOUNTS

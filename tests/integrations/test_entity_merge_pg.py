"""Real processes on PostgreSQL: two workers merging the same two entities at the same moment, each
keeping the other one (integrations/sync/entities.py locks both rows in id order)."""
import multiprocessing

import pytest
from django.db import connections

from integrations.models import Binding, Entity
from tests.factories import BindingFactory, ConnectionFactory, EntityFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PAIRS = 6


def _merger(pairs, keep_first, start, results):
    connections.close_all()  # a forked child must not share the parent's socket
    from integrations.errors import RetryableError
    from integrations.sync.entities import entity_merge

    start.wait(30)
    for first, second in pairs:
        keep, other = (first, second) if keep_first else (second, first)
        try:
            outcome = "merged" if entity_merge(keep=Entity(pk=keep, kind=Entity.Kind.DEAL),
                                               other=Entity(pk=other, kind=Entity.Kind.DEAL)) else "refused"
        except RetryableError:
            outcome = "retry"
        results.put(((first, second), keep, outcome))
    connections.close_all()


def test_two_workers_merging_one_pair_in_opposite_directions_leave_one_entity_with_every_binding(pg_only):
    sf, fb = ConnectionFactory(system="salesforce"), ConnectionFactory(system="freshbooks")
    pairs = []
    for n in range(PAIRS):
        deal, other = EntityFactory(kind=Entity.Kind.DEAL), EntityFactory(kind=Entity.Kind.DEAL)
        BindingFactory(entity=deal, connection=sf, object_type="Opportunity", external_id=f"006{n}")
        BindingFactory(entity=other, connection=fb, object_type="invoice", external_id=f"{n}")
        pairs.append((deal.pk, other.pk))
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_merger, args=(pairs, keep_first, start, results)) for keep_first in (True, False)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(90)
    assert [w.exitcode for w in workers] == [0, 0], "a merger died or hung (a deadlock would hang it)"
    outcomes: dict = {}
    for _ in range(2 * PAIRS):
        pair, keep, outcome = results.get(timeout=5)
        outcomes.setdefault(pair, {})[keep] = outcome
    for n, pair in enumerate(pairs):
        by_keeper = outcomes[pair]
        # one worker merged; the other found its entity merged away and goes back to the queue
        assert sorted(by_keeper.values()) == ["merged", "retry"], by_keeper
        survivor = next(keep for keep, outcome in by_keeper.items() if outcome == "merged")
        assert set(Entity.objects.filter(pk__in=pair).values_list("pk", flat=True)) == {survivor}
        assert set(Binding.objects.filter(external_id__in=[f"006{n}", f"{n}"])
                   .values_list("entity_id", flat=True)) == {survivor}

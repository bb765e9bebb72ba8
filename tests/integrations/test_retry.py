import random
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.sync.retry import RETRY_AFTER_CEILING_SECONDS, BackoffPolicy

POLICY = BackoffPolicy(base=30, cap=3600, floor=1, max_attempts=8)


@given(attempt=st.integers(min_value=1, max_value=60), seed=st.integers())
def test_delay_stays_within_full_jitter_bounds(attempt, seed):
    delay = POLICY.delay(attempt, rng=random.Random(seed))
    ceiling = min(3600, 30 * 2 ** (attempt - 1))
    assert 1 <= delay <= max(1, ceiling)


def test_delay_ceiling_grows_exponentially_then_caps():
    rng = Max()
    assert [POLICY.delay(n, rng=rng) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_delay_is_spread_not_constant():
    rng = random.Random(7)
    delays = {round(POLICY.delay(5, rng=rng)) for _ in range(50)}
    assert len(delays) > 20


class Max(random.Random):
    """The jitter's worst case: every draw at its upper bound."""

    def uniform(self, a, b):
        return b


@given(retry_after=st.floats(min_value=0.5, max_value=10_000), attempt=st.integers(min_value=1, max_value=20),
       seed=st.integers())
def test_retry_after_is_the_earliest_time_and_our_backoff_does_not_stretch_it(retry_after, attempt, seed):
    delay = POLICY.delay(attempt, retry_after=retry_after, rng=random.Random(seed))
    assert delay >= retry_after
    # the spread is 10% of the wait, at most 2 s, whatever our own backoff for this attempt would be
    assert delay <= retry_after + min(0.1 * retry_after, 2.0) + 1e-9


def test_a_short_retry_after_late_in_the_budget_is_still_a_short_wait():
    # Attempt 4's own backoff may be up to 240 s; the server asked for 5 s: we come back at 5–5.5 s.
    assert POLICY.delay(4, rng=Max()) == 240
    assert POLICY.delay(4, retry_after=5, rng=Max()) == pytest.approx(5.5)
    assert POLICY.delay(4, retry_after=5, rng=random.Random(3)) >= 5


def test_a_long_retry_after_is_spread_by_seconds_not_minutes():
    assert POLICY.delay(1, retry_after=900, rng=Max()) == pytest.approx(902)


def test_retry_after_longer_than_cap_is_still_honoured_up_to_a_day():
    assert POLICY.delay(1, retry_after=7200, rng=random.Random(1)) >= 7200
    assert POLICY.delay(1, retry_after=10**9, rng=Max()) == RETRY_AFTER_CEILING_SECONDS + 2


@pytest.mark.parametrize("attempts, exhausted", [(1, False), (7, False), (8, True), (9, True)])
def test_exhausted_after_max_attempts(attempts, exhausted):
    assert POLICY.exhausted(attempts) is exhausted


def test_next_attempt_at_is_in_the_future():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert POLICY.next_attempt_at(now, 3, retry_after=120) >= datetime(2026, 1, 1, 0, 2, tzinfo=timezone.utc)

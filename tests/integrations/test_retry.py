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
    class Max(random.Random):
        def uniform(self, a, b):
            return b

    rng = Max()
    assert [POLICY.delay(n, rng=rng) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_delay_is_spread_not_constant():
    rng = random.Random(7)
    delays = {round(POLICY.delay(5, rng=rng)) for _ in range(50)}
    assert len(delays) > 20


@given(retry_after=st.floats(min_value=0.5, max_value=10_000), seed=st.integers())
def test_retry_after_is_honoured_within_ten_percent(retry_after, seed):
    delay = POLICY.delay(1, retry_after=retry_after, rng=random.Random(seed))
    jittered_floor = retry_after
    assert delay >= jittered_floor
    # never more than 10% over Retry-After unless our own backoff was longer anyway
    assert delay <= max(retry_after * 1.1, 30) + 1e-9


def test_retry_after_longer_than_cap_is_still_honoured_up_to_a_day():
    assert POLICY.delay(1, retry_after=7200, rng=random.Random(1)) >= 7200
    assert POLICY.delay(1, retry_after=10**9, rng=random.Random(1)) <= RETRY_AFTER_CEILING_SECONDS * 1.1


@pytest.mark.parametrize("attempts, exhausted", [(1, False), (7, False), (8, True), (9, True)])
def test_exhausted_after_max_attempts(attempts, exhausted):
    assert POLICY.exhausted(attempts) is exhausted


def test_next_attempt_at_is_in_the_future():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert POLICY.next_attempt_at(now, 3, retry_after=120) >= datetime(2026, 1, 1, 0, 2, tzinfo=timezone.utc)

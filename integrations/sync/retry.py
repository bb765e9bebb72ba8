"""Backoff: capped exponential with full jitter, or the server's Retry-After as the earliest time.

Without a Retry-After: delay(attempt) = uniform(0, min(cap, base * 2**(attempt-1))), never below
`floor` (a 503 is never retried at once). With one, the server has said when: we come back then,
not later because of our own backoff (a 5 s Retry-After on attempt 4 is 5 s, not up to 40), plus a
small spread (10% of it, at most RETRY_AFTER_SPREAD_MAX_SECONDS) so a throttled fleet does not
return in one burst, and never before it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

# Whatever a server asks, we never park an item for more than a day per attempt.
RETRY_AFTER_CEILING_SECONDS = 24 * 3600.0
# The spread added after a Retry-After: 10% of it, capped so a long wait is not stretched by minutes.
RETRY_AFTER_SPREAD = 0.1
RETRY_AFTER_SPREAD_MAX_SECONDS = 2.0


@dataclass(frozen=True)
class BackoffPolicy:
    base: float
    cap: float
    floor: float = 1.0
    max_attempts: int = 12

    @classmethod
    def from_settings(cls, max_attempts: int | None = None) -> BackoffPolicy:
        return cls(
            base=settings.SYNC_BACKOFF_BASE_SECONDS,
            cap=settings.SYNC_BACKOFF_CAP_SECONDS,
            max_attempts=max_attempts or settings.SYNC_MAX_ATTEMPTS,
        )

    def delay(self, attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        rng = rng or random
        if retry_after is not None and retry_after > 0:
            earliest = min(retry_after, RETRY_AFTER_CEILING_SECONDS)
            return earliest + rng.uniform(0, min(earliest * RETRY_AFTER_SPREAD, RETRY_AFTER_SPREAD_MAX_SECONDS))
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return max(self.floor, rng.uniform(0, ceiling))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def next_attempt_at(self, now: datetime, attempt: int, *, retry_after: float | None = None) -> datetime:
        return now + timedelta(seconds=self.delay(attempt, retry_after=retry_after))

"""Backoff: capped exponential with full jitter, honouring the server's Retry-After.

delay(attempt) = uniform(0, min(cap, base * 2**(attempt-1))), never below `floor`
(a 503 is never retried at once). A Retry-After from the server wins when longer: we wait
it plus up to 10% jitter, so a throttled fleet does not return in one burst.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

# Whatever a server asks, we never park an item for more than a day per attempt.
RETRY_AFTER_CEILING_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class BackoffPolicy:
    base: float
    cap: float
    floor: float = 1.0
    max_attempts: int = 8

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
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        delay = max(self.floor, rng.uniform(0, ceiling))
        if retry_after is not None and retry_after > 0:
            honoured = min(retry_after, RETRY_AFTER_CEILING_SECONDS) * (1 + rng.uniform(0, 0.1))
            delay = max(delay, honoured)
        return delay

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def next_attempt_at(self, now: datetime, attempt: int, *, retry_after: float | None = None) -> datetime:
        return now + timedelta(seconds=self.delay(attempt, retry_after=retry_after))

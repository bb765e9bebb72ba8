"""Fault injection per simulated account, for its page and for tests.

Counters are consumed one API request (or one webhook delivery) at a time:
401 (a token expired early), 429 with Retry-After, 500/503, invoice-number collisions (409), dropped or duplicated
deliveries; latency applies to every API request while set.
"""
from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from .models import SimAccount, SimToken

FAULT_FIELDS = {
    "fault_429_remaining": "Next N API requests answer 429",
    "fault_retry_after": "Retry-After seconds on those 429s",
    "fault_5xx_remaining": "Next N API requests answer a server error",
    "fault_5xx_status": "Server error status (500 or 503)",
    "fault_latency_ms": "Added latency per API request (ms)",
    "fault_401_remaining": "Next N API requests answer 401 (token expired early)",
    "fault_409_remaining": "Next N auto-numbered invoice creates collide (409)",
    "fault_drop_deliveries": "Drop the next N webhook deliveries",
    "fault_duplicate_deliveries": "Send the next N webhook deliveries twice",
}


def faults_set(*, account: SimAccount, **values: int) -> SimAccount:
    unknown = set(values) - set(FAULT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fault setting(s): {', '.join(sorted(unknown))}")
    for name, value in values.items():
        if int(value) < 0:
            raise ValueError(f"{name} cannot be negative")
        if name == "fault_5xx_status" and int(value) not in (500, 502, 503, 504):
            raise ValueError("fault_5xx_status must be 500, 502, 503 or 504")
        setattr(account, name, int(value))
    account.save(update_fields=list(values))
    return account


def faults_clear(*, account: SimAccount) -> SimAccount:
    return faults_set(account=account, fault_429_remaining=0, fault_5xx_remaining=0, fault_latency_ms=0,
                      fault_401_remaining=0,
                      fault_409_remaining=0, fault_drop_deliveries=0, fault_duplicate_deliveries=0)


def tokens_expire_all(*, account: SimAccount) -> int:
    """Expire every live access token of the account's people right now (refresh tokens keep working)."""
    now = timezone.now()
    users = account.memberships.values_list("user_id", flat=True)
    return SimToken.objects.filter(Q(user_id__in=users), expires_at__gt=now).update(expires_at=now)


def fault_consume(account: SimAccount, counter: str) -> bool:
    """Use up one unit of a fault counter (atomic; False when none is left)."""
    return bool(SimAccount.objects.filter(pk=account.pk, **{f"{counter}__gt": 0}).update(**{counter: F(counter) - 1}))

"""Idempotent remote creates.

Few APIs we write to offer idempotency keys, so before any create we look for the record we
may already have created (a binding, or an external reference we wrote into the target).
A crash between the remote create and our commit therefore finds the record next time
instead of creating it twice.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CreateResult:
    external_id: str
    created: bool  # False: an existing record was found (ours from a crashed try, or a match)


def remote_create_idempotent(*, find_existing: Callable[[], str | None], create: Callable[[], str]) -> CreateResult:
    existing = find_existing()
    if existing:
        return CreateResult(external_id=str(existing), created=False)
    return CreateResult(external_id=str(create()), created=True)

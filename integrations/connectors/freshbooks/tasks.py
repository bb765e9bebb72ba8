"""django-q2 entry points for FreshBooks connections: ids in, one service call."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations.connectors.freshbooks.services import (
    freshbooks_callback_confirm,
    freshbooks_callbacks_ensure,
)
from integrations.errors import RetryableError
from integrations.models import Connection

RETRY_SECONDS = 15


def callbacks_ensure(connection_id: int) -> int:
    try:
        return len(freshbooks_callbacks_ensure(connection=Connection.objects.get(pk=connection_id)))
    except RetryableError:
        _again("integrations.connectors.freshbooks.tasks.callbacks_ensure", connection_id)
        raise


def callback_confirm(connection_id: int, callback_id: str) -> bool:
    try:
        return bool(freshbooks_callback_confirm(connection=Connection.objects.get(pk=connection_id),
                                                callback_id=callback_id))
    except RetryableError:
        _again("integrations.connectors.freshbooks.tasks.callback_confirm", connection_id, callback_id)
        raise


def _again(func: str, *args) -> None:
    """Try once more a little later (the server may still be starting, or FreshBooks is busy)."""
    from django_q.models import Schedule

    Schedule.objects.create(func=func, args=",".join(repr(a) for a in args), schedule_type=Schedule.ONCE,
                            repeats=1, next_run=timezone.now() + timedelta(seconds=RETRY_SECONDS))

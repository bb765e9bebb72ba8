"""Handing tasks to django-q2 so that a worker never runs ahead of the data it needs.

With the ORM broker on the same database the task row is written inside the caller's
transaction: it commits or rolls back with the rows the task will read, and costs no second
commit. With Redis (or an ORM broker on another database) the task is sent after the commit.
A task lost between commit and send is picked up by the one-minute sweeper, which looks for
work left waiting (pending items, received events).
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction

_BROKERS: dict[tuple, object] = {}


def task_enqueue(func: str, *args, task_name: str, group: str | None = None) -> None:
    from django_q.tasks import async_task

    def send():
        async_task(func, *args, group=group, task_name=task_name, broker=_broker())

    if broker_shares_database() and transaction.get_connection().in_atomic_block:
        send()
    else:
        transaction.on_commit(send)


def _broker():
    """One broker per process: django-q2 otherwise builds one (and its connection) per enqueue."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    # Keyed on what get_broker() itself reads, so a broker is never reused for another queue.
    key = (Conf.PREFIX, Conf.ORM, str(Conf.REDIS), getattr(Conf, "BROKER_CLASS", None))
    if key not in _BROKERS:
        _BROKERS[key] = get_broker()
    return _BROKERS[key]


def broker_shares_database() -> bool:
    return settings.Q_CLUSTER.get("orm") == "default" and not settings.Q_CLUSTER.get("redis")

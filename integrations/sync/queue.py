"""Handing tasks to django-q2 so that a worker never runs ahead of the data it needs.

With the ORM broker on the same database the task row is written inside the caller's
transaction: it commits or rolls back with the rows the task will read, and costs no second
commit. With Redis (or an ORM broker on another database) the task is sent after the commit.
A task lost between commit and send is picked up by the one-minute sweeper, which looks for
work left waiting (pending items, received events).
"""
from __future__ import annotations

from django.conf import settings
from django.db import connections, transaction

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



def tasks_enqueue(func: str, calls: list[tuple[tuple, str, str | None]]) -> None:
    """``task_enqueue`` for many tasks (``calls``: (args, task_name, group)) with one write to the broker.

    The packs are what django-q2's ``async_task`` makes (``task_pack``); they then go in one
    ``bulk_create`` of task rows (ORM broker) or one RPUSH (Redis), when and where
    ``task_enqueue`` would send them one by one.
    """
    from django_q.conf import Conf

    if not calls:
        return
    if Conf.SYNC:  # tasks run in the caller: nothing to batch
        for args, task_name, group in calls:
            task_enqueue(func, *args, task_name=task_name, group=group)
        return
    broker = _broker()
    packs = [task_pack(func, args, task_name=task_name, group=group) for args, task_name, group in calls]

    def send():
        _packs_send(broker, packs)

    if broker_shares_database() and transaction.get_connection().in_atomic_block:
        send()
    else:
        transaction.on_commit(send)


def task_pack(func: str, args: tuple, *, task_name: str, group: str | None) -> str:
    """The signed package django-q2's ``async_task(func, *args, task_name=…, group=…)`` pushes (its
    keys, its ``pre_enqueue`` signal, its signing), without its log line per task: a burst of
    thousands of items logged thousands of lines. tests/integrations/test_routing_batches.py
    checks a worker's broker reads these."""
    from uuid import uuid4

    from django.utils import timezone
    from django_q.conf import Conf
    from django_q.signals import pre_enqueue
    from django_q.signing import SignedPackage

    # The id async_task gives (humanhash.uuid()'s digest), without the human-readable name it also
    # computes and then drops when a task_name is given.
    task = {"id": uuid4().hex, "name": task_name, "func": func, "args": tuple(args)}
    if group is not None:
        task["group"] = group
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    if Conf.ACK_FAILURES:
        task["ack_failure"] = Conf.ACK_FAILURES
    task["kwargs"] = {}
    task["started"] = timezone.now()
    pre_enqueue.send(sender="django_q", task=task)
    return SignedPackage.dumps(task)


def _packs_send(broker, packs: list) -> None:
    from django.utils import timezone
    from django_q.brokers.orm import ORM
    from django_q.brokers.redis_broker import Redis
    from django_q.conf import Conf
    from django_q.models import OrmQ

    if type(broker) is ORM:
        # The rows ORM.enqueue writes, three columns each, several hundred per INSERT (no model
        # instance per task: that was most of the cost of sending a burst's tasks).
        db = connections[Conf.ORM]
        quote = db.ops.quote_name
        key, lock = broker.list_key or Conf.CLUSTER_NAME, db.ops.adapt_datetimefield_value(timezone.now())
        columns = ", ".join(quote(OrmQ._meta.get_field(name).column) for name in ("key", "payload", "lock"))
        chunk = min(1000, (db.features.max_query_params or 3000) // 3)
        with db.cursor() as cursor:
            for start in range(0, len(packs), chunk):
                part = packs[start:start + chunk]
                cursor.execute(f"INSERT INTO {quote(OrmQ._meta.db_table)} ({columns}) VALUES "
                               + ", ".join(["(%s, %s, %s)"] * len(part)),
                               [value for pack in part for value in (key, pack, lock)])
    elif type(broker) is Redis:
        broker.connection.rpush(broker.list_key, *packs)
    else:  # another broker class: its own enqueue, one by one
        for pack in packs:
            broker.enqueue(pack)

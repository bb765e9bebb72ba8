"""Real processes for the subscriber tests: the Salesforce simulator's gRPC server (in this
process, on a free port, as ``sandbox_pubsub_serve`` runs it) and ``manage.py salesforce_subscribe``
as subprocesses on this test's PostgreSQL database; and writes to the simulator as a Salesforce
user would make them (no Ledgerlink client tag in changeOrigin)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.db import transaction

from integrations.models import Connection, Flow, InboundEvent
from integrations.sandbox.salesforce.context import WriteContext, write_context_use
from integrations.sandbox.salesforce.org import integration_user
from integrations.sandbox.salesforce.pubsub.server import PubSubConfig, PubSubServer
from integrations.sandbox.salesforce.writes import record_create, record_update
from tests.factories import ConnectionFactory
from tests.processes import process_group_stop

ROOT = Path(__file__).resolve().parents[2]
LOG_TAIL_CHARS = 4000


@contextmanager
def pubsub_server(instance_root: str):
    """The simulator's Pub/Sub server on a free port, its threads on this test's database."""
    server = PubSubServer(PubSubConfig(port=0, poll_seconds=0.01, instance_roots=(instance_root,)))
    server.start()
    try:
        yield server
    finally:
        server.stop(grace=1)


def pubsub_connect(connection: Connection, server: PubSubServer) -> Connection:
    connection.settings = {**connection.settings, "pubsub_endpoint": server.address, "pubsub_tls": False}
    connection.save(update_fields=["settings"])
    return connection


def flows_for(connection: Connection, *objects: str, kind: str = "recording") -> list[Flow]:
    target = ConnectionFactory(system="freshbooks")
    return [Flow.objects.create(name=f"sub-{obj.lower()}-{connection.pk}", kind=kind, source_connection=connection,
                                source_object=obj, target_connection=target, target_object="client",
                                poll_interval_minutes=0 if kind == "recording" else 15)
            for obj in objects]


@dataclass
class Subscriber:
    process: subprocess.Popen
    log: TextIO

    def log_text(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def subscriber_env(extra: dict | None = None) -> dict:
    db = settings.DATABASES["default"]
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings_test", "PUBSUB_TICK_SECONDS": "0.2",
                "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"})
    return {**env, **(extra or {})}


@contextmanager
def subscriber(log_path: Path, *args: str, env: dict | None = None):
    """``manage.py salesforce_subscribe`` in a process group of its own; stopped (or already
    killed) when the block ends, its log added to a failing assertion."""
    log = open(log_path, "w+")
    process = subprocess.Popen([sys.executable, "manage.py", "salesforce_subscribe", *args], cwd=ROOT,
                               env=subscriber_env(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    sub = Subscriber(process=process, log=log)
    try:
        yield sub
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- subscriber log ({log_path.name}), last {LOG_TAIL_CHARS} characters ---\n"
                             f"{sub.log_text()[-LOG_TAIL_CHARS:]}") from exc
    finally:
        if process.poll() is None:
            process_group_stop(process, grace=10)
        log.close()


def as_user(action):
    """Run a simulator write as a person in Salesforce would (changeOrigin without our tag)."""
    with write_context_use(WriteContext(user_id=integration_user().sf_id)), transaction.atomic():
        return action()


def sf_create(sobject: str, data: dict) -> str:
    return as_user(lambda: record_create(sobject, data))


def sf_update(sobject: str, sf_id: str, data: dict) -> None:
    as_user(lambda: record_update(sobject, sf_id, data))


def stored(connection: Connection, **filters) -> list[InboundEvent]:
    return list(InboundEvent.objects.filter(connection=connection, **filters).order_by("pk"))

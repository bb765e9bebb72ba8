"""The Pub/Sub way in, for the benchmarks: the Salesforce simulator's gRPC server
(``sandbox_pubsub_serve``) and our subscriber (``salesforce_subscribe``) as processes, the demo
connection pointed at that server and the HTTP relay turned off."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

from integrations.models import Connection, PubSubSubscription
from integrations.sandbox.salesforce.models import SfSubscription
from integrations.sandbox.salesforce.services import org_configure
from tests.bench.servers import ROOT, free_port
from tests.processes import process_group_stop


@contextmanager
def pubsub_stack(salesforce: Connection, *, base: str, env_extra: dict):
    """Yield once the subscriber's streams for every topic its flows need are active."""
    port = free_port()
    env = {**os.environ, **env_extra, "LEDGERLINK_PUBLIC_URL": base}
    SfSubscription.objects.update(active=False)  # the relay off: events come through Pub/Sub only
    salesforce.settings = {**salesforce.settings, "pubsub_endpoint": f"127.0.0.1:{port}", "pubsub_tls": False}
    salesforce.save(update_fields=["settings"])
    PubSubSubscription.objects.filter(connection=salesforce).delete()  # start from LATEST, not an earlier run
    # A keepalive every second while idle: the first one proves the stream is placed at the tip,
    # so no change is made before the subscriber can see it.
    org_configure(pubsub_keepalive_seconds=1)
    server = subprocess.Popen([sys.executable, "manage.py", "sandbox_pubsub_serve", "--port", str(port)], cwd=ROOT,
                              env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subscriber = subprocess.Popen([sys.executable, "manage.py", "salesforce_subscribe", "--connection",
                                   salesforce.name], cwd=ROOT, env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        topics = PubSubSubscription.objects.filter(connection=salesforce)
        while not (topics.exists() and not topics.exclude(state="active").exists()
                   and not topics.filter(last_keepalive_at=None).exists()):
            if time.monotonic() > deadline:
                raise RuntimeError("the subscriber did not become active within 60 s")
            time.sleep(0.2)  # waiting for start-up, before any clock starts
        yield
    finally:
        process_group_stop(subscriber, grace=10)
        process_group_stop(server, grace=10)
        SfSubscription.objects.update(active=True)

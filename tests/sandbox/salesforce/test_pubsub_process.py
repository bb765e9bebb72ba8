"""`manage.py sandbox_pubsub_serve` as its own process on the test's PostgreSQL database: it serves
real clients, delivers a change committed by this process, and stops cleanly on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from django.conf import settings

from integrations.sandbox.salesforce.models import SfPubSubServer
from integrations.sandbox.salesforce.writes import record_create
from pubsub_wire import pubsub_api_pb2 as pb
from pubsub_wire import pubsub_api_pb2_grpc as pb_grpc
from tests.processes import process_group_stop
from tests.sandbox.salesforce.pubsub_harness import decode, metadata_for, session_new

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.postgres
def test_the_command_serves_until_sigterm_and_stops_cleanly(sf_app, sf_root, pg_only, tmp_path):
    db = settings.DATABASES["default"]
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "SANDBOX_ENABLED": "true",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    log = (tmp_path / "pubsub.log").open("w+")
    process = subprocess.Popen([sys.executable, "manage.py", "sandbox_pubsub_serve", "--port", str(port),
                                "--poll-ms", "20"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=60)
        stub = pb_grpc.PubSubStub(channel)
        metadata = metadata_for(session_new(sf_root))
        topic = stub.GetTopic(pb.TopicRequest(topic_name="/data/AccountChangeEvent"), metadata=metadata, timeout=10)
        schema = stub.GetSchema(pb.SchemaRequest(schema_id=topic.schema_id), metadata=metadata, timeout=10)
        created = record_create("Account", {"Name": "Through the process"})
        first = pb.FetchRequest(topic_name=topic.topic_name, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=1)
        stream = stub.Subscribe(iter([first]), metadata=metadata, timeout=30)
        response = next(r for r in stream if r.events)
        body = decode(schema.schema_json, response.events[0].event.payload)
        assert body["ChangeEventHeader"]["recordIds"] == [created] and body["Name"] == "Through the process"
        assert SfPubSubServer.objects.get(address=f"127.0.0.1:{port}").stopped is False
        stream.cancel()
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        channel.close()
        if process.poll() is None:
            process_group_stop(process)
        log.seek(0)
        output = log.read()
    assert f"Pub/Sub API on 127.0.0.1:{port}" in output, output[-3000:]
    assert SfPubSubServer.objects.get(address=f"127.0.0.1:{port}").stopped is True

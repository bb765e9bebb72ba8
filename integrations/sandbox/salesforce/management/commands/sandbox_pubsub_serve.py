"""Serve the Salesforce simulator's Pub/Sub API (gRPC, plaintext) until SIGTERM or SIGINT.

Run one per database: this process also gives committed change events their bus position
(integrations/sandbox/salesforce/pubsub/bus.py)."""
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.sandbox.salesforce.pubsub.server import PubSubConfig, PubSubServer


class Command(BaseCommand):
    help = "Serve the Salesforce simulator's Pub/Sub API (eventbus.v1.PubSub over gRPC, no TLS)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="Default: SANDBOX_SALESFORCE_PUBSUB_HOST.")
        parser.add_argument("--port", type=int, default=None, help="Default: SANDBOX_SALESFORCE_PUBSUB_PORT.")
        parser.add_argument("--poll-ms", type=int, default=None,
                            help="How often new change events are read. Default: SANDBOX_SALESFORCE_PUBSUB_POLL_MS.")

    def handle(self, *args, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The simulators are off (SANDBOX_ENABLED is false): nothing to serve.")
        host = options["host"] or settings.SANDBOX_SALESFORCE_PUBSUB_HOST
        port = settings.SANDBOX_SALESFORCE_PUBSUB_PORT if options["port"] is None else options["port"]
        poll_ms = options["poll_ms"] or settings.SANDBOX_SALESFORCE_PUBSUB_POLL_MS
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        server = PubSubServer(PubSubConfig(host=host, port=port, poll_seconds=poll_ms / 1000))
        try:
            server.start()
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"Cannot serve the Pub/Sub API on {host}:{port}: {exc}") from exc
        self.stdout.write(f"Salesforce simulator Pub/Sub API on {server.address} (gRPC, plaintext)", ending="\n")
        self.stdout.flush()
        while not stop.wait(0.5):
            pass
        server.stop()
        self.stdout.write("Pub/Sub API stopped.")

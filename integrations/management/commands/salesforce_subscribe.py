"""Run the Salesforce Pub/Sub subscriber until SIGTERM/SIGINT (integrations/triggers/subscriber/)."""
import logging
import signal
import threading

from django.core.management.base import BaseCommand

from integrations.triggers.subscriber.runner import subscriber_run


class Command(BaseCommand):
    help = ("Subscribe to Salesforce change events (Pub/Sub API) for every active Salesforce connection with "
            "enabled flows, or the one named; one process per deployment is enough, a second one stands by.")

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="Only this connection (by name).")
        parser.add_argument("--start", choices=["LATEST", "EARLIEST"],
                            help="Where a topic with no stored replay id starts (default: PUBSUB_START_PRESET).")

    def handle(self, *args, **options):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        # State changes are logged at INFO (through the root handler, which redacts secrets).
        logging.getLogger("integrations.triggers.subscriber").setLevel(logging.INFO)
        subscriber_run(stop=stop, connection_name=options.get("connection"), start_preset=options.get("start"))

"""Run the web server, the django-q2 cluster (with its scheduler) and the Salesforce Pub/Sub
subscriber together, plus the Salesforce simulator's Pub/Sub API server when the simulators are
on; Ctrl-C or SIGTERM stops them all within Q_TIMEOUT."""
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app and a worker cluster together (what `make run` starts)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        manage = [sys.executable, "manage.py"]
        commands = {
            "web": manage + ["runserver", "--noreload", f"{options['host']}:{options['port']}"],
            "worker": manage + ["ledgerlink_worker"],  # the supervised cluster, dispatcher, sweeper, alerts
            # Salesforce change events (Pub/Sub API): idle until a Salesforce connection has enabled flows.
            "subscriber": manage + ["salesforce_subscribe"],
        }
        if settings.SANDBOX_ENABLED:
            commands["pubsub"] = manage + ["sandbox_pubsub_serve"]
        procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(f"Ledgerlink is up: http://{options['host']}:{options['port']}/admin/  (Ctrl-C stops web, workers and subscriber)")
        if "pubsub" in procs:
            self.stdout.write("Salesforce simulator Pub/Sub API (gRPC, no TLS): "
                              f"{settings.SANDBOX_SALESFORCE_PUBSUB_HOST}:{settings.SANDBOX_SALESFORCE_PUBSUB_PORT}")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs.values()):
                time.sleep(0.2)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    # SIGTERM for the web server too: runserver on Python 3.13 can hang on the SIGINT it
                    # turns into KeyboardInterrupt (make run test), and a dev server has nothing to finish.
                    proc.send_signal(signal.SIGTERM)
            # Within Q_TIMEOUT in all: the worker supervisor finishes or releases its tasks a few seconds
            # before that (its cluster is its own process group, which it stops itself).
            deadline = time.monotonic() + max(2, settings.Q_TIMEOUT - 1)
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
        failed = [n for n, p in procs.items() if p.returncode not in (0, -2, -15, None) and not stopping]
        if failed:
            self.stderr.write(f"Stopped because {', '.join(failed)} exited unexpectedly.")
            sys.exit(1)
        self.stdout.write("Stopped web server, workers and subscriber.")

"""The cluster ``ledgerlink_worker`` supervises (django-q2's cluster writing a task ledger).
Not for running by hand: the supervisor starts it in a process group of its own."""
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from integrations.cluster.child import cluster_child_run


class Command(BaseCommand):
    help = "The supervised worker cluster (started by ledgerlink_worker; do not run it by hand)."

    def add_arguments(self, parser):
        parser.add_argument("ledger", help="the task ledger directory the supervisor made for this run")

    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018
        sys.exit(cluster_child_run(Path(options["ledger"])))

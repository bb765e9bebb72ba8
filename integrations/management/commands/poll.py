"""manage.py poll [--flow NAME]: read what changed at the source since the last poll and queue it."""
from django.core.management.base import BaseCommand, CommandError

from integrations.management.arguments import flow_named
from integrations.models import Flow
from integrations.connectors.registry import change_reader_for
from integrations.triggers.polling import flow_poll


class Command(BaseCommand):
    help = "Poll flows now (all enabled flows with a pollable source, or one): the fallback for missed events."

    def add_arguments(self, parser):
        parser.add_argument("--flow", help="Only this flow.")

    def handle(self, *args, flow=None, **options):
        flows = [flow_named(flow)] if flow else [
            f for f in Flow.objects.filter(enabled=True).select_related("source_connection")
            if change_reader_for(f) is not None]
        failed = False
        for each in flows:
            report = flow_poll(flow=each)
            failed |= bool(report.error)
            self.stdout.write(report.sentence())
        if failed:
            raise CommandError("Some polls failed (see above); they are retried on the next run.")

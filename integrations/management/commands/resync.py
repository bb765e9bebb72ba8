"""manage.py resync <system> <object> <id>: sync one record again now, through every flow reading it."""
from django.core.management.base import BaseCommand, CommandError

from integrations.models import System
from integrations.operations.resync import record_resync


class Command(BaseCommand):
    help = "Queue a fresh sync of one record (e.g. resync salesforce Opportunity 006…) through every flow reading it."

    def add_arguments(self, parser):
        parser.add_argument("system", choices=System.values)
        parser.add_argument("object", help="Object type as the flow names it: Opportunity, Account, client, invoice, payment…")
        parser.add_argument("id", help="The record's id in that system.")

    def handle(self, *args, system, object, id, **options):  # noqa: A002
        items = record_resync(system=system, object_type=object, external_id=id)
        if not items:
            raise CommandError(f"No enabled flow reads {system} {object}; nothing to resync.")
        for item in items:
            self.stdout.write(f"Queued item {item.pk} ({item.flow.name}).")

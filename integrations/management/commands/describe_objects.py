"""manage.py describe_objects --connection NAME Object [Object …]: read objects' shapes from the system
and keep them for mappings and generic flows (integrations/operations/describe.py)."""
from django.core.management.base import BaseCommand, CommandError

from integrations.models import Connection
from integrations.operations.describe import objects_describe


class Command(BaseCommand):
    help = "Describe objects (Salesforce: any standard or custom sObject) and keep their fields for mappings."

    def add_arguments(self, parser):
        parser.add_argument("--connection", required=True, help="The connection's name.")
        parser.add_argument("objects", nargs="+")

    def handle(self, *args, connection, objects, **options):
        found = Connection.objects.filter(name=connection).first()
        if found is None:
            names = ", ".join(Connection.objects.order_by("name").values_list("name", flat=True)) or "none"
            raise CommandError(f"No connection named {connection!r}. Known: {names}.")
        for sentence in objects_describe(connection=found, names=objects):
            self.stdout.write(sentence)

"""Name the entities still called by their kind and number, after the newest record synced for each."""
from django.core.management.base import BaseCommand

from integrations.operations.entity_labels import entities_label_backfill


class Command(BaseCommand):
    help = ("Name unnamed entities (\"Deal #4\") after the newest record synced for each, as the engine names new "
            "ones: for rows made before labels existed or bound by a batched backfill.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size=500, **options):
        self.stdout.write(entities_label_backfill(batch_size=batch_size).sentence())

"""Delete what is past its retention age (RETENTION_* settings); the daily schedule runs the same."""
from django.core.management.base import BaseCommand

from integrations.operations.retention import records_prune


class Command(BaseCommand):
    help = ("Delete routed inbound events, API-call rows, attempts and finished items older than the RETENTION_* "
            "settings, in batches; never dead, held, open or running items, nor rows a finding or open alert names.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")
        parser.add_argument("--batch-size", type=int, help="Rows per DELETE (default RETENTION_BATCH_SIZE).")

    def handle(self, *args, dry_run=False, batch_size=None, **options):
        self.stdout.write(records_prune(dry_run=dry_run, batch_size=batch_size).sentence())

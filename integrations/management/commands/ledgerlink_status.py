import json

from django.core.management.base import BaseCommand, CommandError

from integrations.models import SyncItem
from integrations.selectors import flow_status_summary

COLUMNS = [s for s in SyncItem.Status.values]


class Command(BaseCommand):
    help = "Per-flow sync item counts by status, oldest open item age and dead letters."

    def add_arguments(self, parser):
        parser.add_argument("--fail-on-dead", action="store_true", help="Exit 1 when any dead item exists.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, **options):
        rows = flow_status_summary()
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
        else:
            header = f"{'flow':<32}" + "".join(f"{c:>10}" for c in COLUMNS) + f"{'oldest open':>14}"
            self.stdout.write(header)
            for row in rows:
                age = row["oldest_open_age_seconds"]
                line = f"{row['flow'][:31]:<32}" + "".join(f"{row['counts'][c]:>10}" for c in COLUMNS)
                self.stdout.write(line + f"{(str(age) + 's') if age is not None else '-':>14}")
            if not rows:
                self.stdout.write("No flows configured.")
        dead = sum(row["dead"] for row in rows)
        if options["fail_on_dead"] and dead:
            raise CommandError(f"{dead} dead item(s) need attention (admin → Dead letters).", returncode=1)

"""manage.py backfill --flow NAME [--since DATE] [--dry-run]: bring a flow's history across."""
from django.core.management.base import BaseCommand
from tqdm import tqdm

from integrations.management.arguments import flow_named
from integrations.management.commands.reconcile import since_parse
from integrations.operations.backfill import flow_backfill


class Command(BaseCommand):
    help = ("Stream the flow's source in pages and sync every record (resumable: a stopped run continues where it "
            "stopped). Prints created / updated / matched / skipped / failed.")

    def add_arguments(self, parser):
        parser.add_argument("--flow", required=True)
        parser.add_argument("--since", help="Only records changed since: 7d, or an ISO date(-time).")
        parser.add_argument("--dry-run", action="store_true", help="Read and decide, write nothing.")

    def handle(self, *args, flow, since=None, dry_run=False, **options):
        bar = tqdm(desc="records", unit="rec", disable=None, file=self.stderr)

        def total(n):
            bar.total = n
            bar.refresh()

        summary = flow_backfill(flow=flow_named(flow), since=since_parse(since) if since else None, dry_run=dry_run,
                                progress=bar.update, total=total)
        bar.close()
        for reason in summary.failures:
            self.stdout.write(f"failed: {reason}")
        self.stdout.write(summary.sentence())

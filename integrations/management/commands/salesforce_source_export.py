"""manage.py salesforce_source_export [--out DIR] [--check]: write the custom fields and the
permission set our flows need as Salesforce source (deploy with the Salesforce CLI)."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.connectors.salesforce.source import salesforce_source_files


class Command(BaseCommand):
    help = "Write salesforce/ (force-app source: custom fields and permission set) from the field declaration."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "salesforce"),
                            help="Project directory (default: salesforce/ in the repository).")
        parser.add_argument("--check", action="store_true", help="Write nothing; exit 1 if the files differ.")

    def handle(self, *args, out, check=False, **options):
        root, stale = Path(out), []
        for relative, text in salesforce_source_files().items():
            path = root / relative
            if path.exists() and path.read_text() == text:
                continue
            stale.append(relative)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        if check and stale:
            raise CommandError(f"Out of date (run salesforce_source_export): {', '.join(stale)}")
        self.stdout.write(f"{'Stale' if check else 'Wrote'}: {len(stale)} file(s) in {root}" if stale
                          else f"Up to date: {root}")

"""manage.py export_config [--flows a b] > config.json — flows, mapping sets, value tables, rates; never secrets."""
from django.core.management.base import BaseCommand, CommandError

from mappings.errors import ConfigurationError
from mappings.promotion import config_dumps, config_export


class Command(BaseCommand):
    help = "Write the configuration (flows, mapping sets, value tables, currency rates; never secrets) as stable JSON."

    def add_arguments(self, parser):
        parser.add_argument("--flows", nargs="+", help="Only these flows (and the mappings and value tables they use).")
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, flows=None, output=None, **options):
        held_back: list[str] = []
        try:
            text = config_dumps(config_export(flows=flows, held_back=held_back))
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None
        for sentence in held_back:  # on stderr: stdout may be the file itself
            self.stderr.write(sentence)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")

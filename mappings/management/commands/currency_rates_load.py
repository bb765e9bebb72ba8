"""manage.py currency_rates_load [--provider ecb] [--file eurofxref-daily.xml] — load dated rates."""
from django.core.management.base import BaseCommand, CommandError

from mappings.rates import RATE_PROVIDERS, FileRateProvider, RateSourceError, currency_rates_load


class Command(BaseCommand):
    help = "Load currency rates from a provider (the ECB daily reference rates) or an ECB-format file."

    def add_arguments(self, parser):
        parser.add_argument("--provider", default="ecb", choices=sorted(RATE_PROVIDERS))
        parser.add_argument("--file", help="Read an ECB-format XML file instead of the network.")

    def handle(self, *args, provider="ecb", file=None, **options):
        source = FileRateProvider(file) if file else RATE_PROVIDERS[provider]()
        try:
            loaded = currency_rates_load(source=source)
        except (RateSourceError, OSError) as exc:
            raise CommandError(f"No rates were loaded: {exc}") from None
        self.stdout.write(str(loaded))

"""manage.py currency_rates_load [--provider ecb] [--file eurofxref-daily.xml] — load dated rates."""
from django.core.management.base import BaseCommand, CommandError

from mappings.rates import RATE_PROVIDERS, FileRateProvider, RateSourceError, currency_rates_store


class Command(BaseCommand):
    help = "Load currency rates from a provider (the ECB daily reference rates) or an ECB-format file."

    def add_arguments(self, parser):
        parser.add_argument("--provider", default="ecb", choices=sorted(RATE_PROVIDERS))
        parser.add_argument("--file", help="Read an ECB-format XML file instead of the network.")

    def handle(self, *args, provider="ecb", file=None, **options):
        source = FileRateProvider(file) if file else RATE_PROVIDERS[provider]()
        try:
            quotes = source.fetch()
        except (RateSourceError, OSError) as exc:
            raise CommandError(f"No rates were loaded: {exc}") from None
        created, updated = currency_rates_store(quotes=quotes)
        days = sorted({q.date for q in quotes})
        self.stdout.write(f"Loaded {len(quotes)} rates for {days[0]}…{days[-1]}: {created} new, {updated} updated.")

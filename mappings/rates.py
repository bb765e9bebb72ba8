"""Currency rates: dated lookup (nearest earlier date) and providers that load rates.

Lookup order for from → to on a day: the same currency (1); a direct rate; the inverse of the
opposite rate; a cross rate through MAPPINGS_CROSS_CURRENCY (EUR by default, the base of
the European Central Bank's reference rates). Each leg uses the newest rate on or before
the day; a manual rate beats a loaded one on the same day.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from .context import RateNotFound

Finder = Callable[[str, str, date], Decimal | None]


def _resolve(find: Finder, from_currency: str, to_currency: str, on: date) -> Decimal:
    f, t = from_currency.upper(), to_currency.upper()
    if f == t:
        return Decimal(1)

    def leg(a: str, b: str) -> Decimal | None:
        if a == b:
            return Decimal(1)
        direct = find(a, b, on)
        if direct is not None:
            return direct
        inverse = find(b, a, on)
        return None if inverse in (None, 0) else Decimal(1) / inverse

    rate = leg(f, t)
    if rate is None:
        base = getattr(settings, "MAPPINGS_CROSS_CURRENCY", "EUR")
        to_f, to_t = leg(base, f), leg(base, t)
        if to_f not in (None, 0) and to_t is not None:
            rate = to_t / to_f
    if rate is None:
        raise RateNotFound(f"No {f}→{t} exchange rate on or before {on.isoformat()}. Add one under Currency rates.")
    return rate


def currency_rate_lookup(*, from_currency: str, to_currency: str, on: date) -> Decimal:
    from .models import CurrencyRate

    def find(a, b, day):
        rows = list(
            CurrencyRate.objects.filter(from_currency=a, to_currency=b, date__lte=day)
            .order_by("-date").values_list("date", "source", "rate")[:10]
        )
        if not rows:
            return None
        newest = [r for r in rows if r[0] == rows[0][0]]
        newest.sort(key=lambda r: (r[1] != "manual", r[1]))
        return newest[0][2]

    return _resolve(find, from_currency, to_currency, on)


def rate_from_series(series: dict, from_currency: str, to_currency: str, on: date) -> Decimal:
    """The same lookup over an in-memory {(from, to): [(date, rate), …]} (tests, previews)."""

    def find(a, b, day):
        candidates = [(d, r) for d, r in series.get((a, b), []) if d <= day]
        return max(candidates)[1] if candidates else None

    return _resolve(find, from_currency, to_currency, on)


# -- providers ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RateQuote:
    from_currency: str
    to_currency: str
    date: date
    rate: Decimal
    source: str


class RateSourceError(Exception):
    pass


class RateProvider:
    """Fetches quotes from somewhere. The manual table needs no provider: it is the CurrencyRate rows."""

    name = ""

    def fetch(self) -> list[RateQuote]:
        raise NotImplementedError


ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


def ecb_rates_parse(xml: bytes | str, *, source: str = "ecb") -> list[RateQuote]:
    """Parse the ECB reference-rate XML (daily, 90-day or history file): 1 EUR = rate CUR."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise RateSourceError(f"The ECB rate file is not valid XML: {exc}.") from None
    quotes = []
    for day in root.iter():
        if _local(day.tag) != "Cube" or "time" not in day.attrib:
            continue
        try:
            on = date.fromisoformat(day.attrib["time"])
        except ValueError:
            raise RateSourceError(f"The ECB rate file has an unreadable date: {day.attrib['time']!r}.") from None
        for cube in day:
            currency, raw = cube.attrib.get("currency", ""), cube.attrib.get("rate", "")
            try:
                rate = Decimal(raw)
            except InvalidOperation:
                raise RateSourceError(f"The ECB rate for {currency} on {on} is not a number: {raw!r}.") from None
            if len(currency) != 3 or not rate.is_finite() or rate <= 0:
                raise RateSourceError(f"The ECB file has an invalid rate: {currency!r} = {raw!r} on {on}.")
            quotes.append(RateQuote("EUR", currency.upper(), on, rate, source))
    if not quotes:
        raise RateSourceError("The ECB rate file holds no rates (expected <Cube time=…><Cube currency=… rate=…/>).")
    return quotes


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class EcbRateProvider(RateProvider):
    name = "ecb"

    def __init__(self, url: str | None = None):
        self.url = url or settings.MAPPINGS_ECB_RATES_URL

    def fetch(self) -> list[RateQuote]:
        import requests

        try:
            response = requests.get(self.url, timeout=settings.HTTP_TIMEOUT_SECONDS, allow_redirects=False)
        except requests.RequestException as exc:
            raise RateSourceError(f"Could not reach the ECB rate feed at {self.url}: {exc}.") from None
        if response.status_code != 200:
            raise RateSourceError(f"The ECB rate feed at {self.url} answered HTTP {response.status_code}.")
        return ecb_rates_parse(response.content)


class FileRateProvider(RateProvider):
    """An ECB-format file on disk (offline installs, tests)."""

    name = "ecb"

    def __init__(self, path: str):
        self.path = path

    def fetch(self) -> list[RateQuote]:
        with open(self.path, "rb") as handle:
            return ecb_rates_parse(handle.read())


RATE_PROVIDERS: dict[str, type[RateProvider]] = {"ecb": EcbRateProvider}


@transaction.atomic
def currency_rates_store(*, quotes: list[RateQuote]) -> tuple[int, int]:
    """Upsert quotes by (from, to, date, source); returns (created, updated)."""
    from .models import CurrencyRate

    created = updated = 0
    for q in quotes:
        _, was_created = CurrencyRate.objects.update_or_create(
            from_currency=q.from_currency, to_currency=q.to_currency, date=q.date, source=q.source,
            defaults={"rate": q.rate},
        )
        created, updated = created + was_created, updated + (not was_created)
    return created, updated


@dataclass(frozen=True)
class RatesLoaded:
    count: int
    created: int
    updated: int
    first: date
    last: date

    def __str__(self) -> str:
        return f"Loaded {self.count} rates for {self.first}…{self.last}: {self.created} new, {self.updated} updated."


def currency_rates_load(*, source: RateProvider) -> RatesLoaded:
    """Fetch from a provider and store (the command and the admin's *Load ECB rates now*).
    Raises RateSourceError (or OSError for a file) when nothing could be read."""
    quotes = source.fetch()
    created, updated = currency_rates_store(quotes=quotes)
    days = sorted({q.date for q in quotes})
    return RatesLoaded(len(quotes), created, updated, days[0], days[-1])

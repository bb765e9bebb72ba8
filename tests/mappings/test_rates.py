"""Currency rates: nearest-earlier lookup, inverse and cross rates, the ECB loader on a stored sample."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mappings.context import RateNotFound
from mappings.models import CurrencyRate
from mappings.rates import currency_rate_lookup, ecb_rates_parse, RateSourceError

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).parent / "data" / "eurofxref-daily.xml"


def test_ecb_sample_file_parses_into_eur_based_quotes():
    quotes = ecb_rates_parse(SAMPLE.read_bytes())
    assert len(quotes) == 30
    usd = next(q for q in quotes if q.to_currency == "USD")
    assert (usd.from_currency, usd.date, usd.rate, usd.source) == ("EUR", date(2024, 1, 5), Decimal("1.0921"), "ecb")


@pytest.mark.parametrize("xml, message", [
    ("<not-xml", "not valid XML"),
    ("<Envelope><Cube/></Envelope>", "holds no rates"),
    ("<Envelope><Cube><Cube time='2024-13-01'><Cube currency='USD' rate='1'/></Cube></Cube></Envelope>", "unreadable date"),
    ("<Envelope><Cube><Cube time='2024-01-01'><Cube currency='USD' rate='x'/></Cube></Cube></Envelope>", "not a number"),
    ("<!DOCTYPE x [<!ENTITY a 'b'>]><Envelope/>", "not valid XML"),
])
def test_ecb_parser_rejects_bad_files(xml, message):
    with pytest.raises(RateSourceError, match=message):
        ecb_rates_parse(xml)


def test_load_command_stores_and_lookup_crosses_through_eur():
    out = StringIO()
    call_command("currency_rates_load", "--file", str(SAMPLE), stdout=out)
    assert "Loaded 30 rates for 2024-01-05…2024-01-05: 30 new, 0 updated." in out.getvalue()
    call_command("currency_rates_load", "--file", str(SAMPLE), stdout=out)  # idempotent
    assert CurrencyRate.objects.count() == 30
    on = date(2024, 1, 8)
    assert currency_rate_lookup(from_currency="EUR", to_currency="USD", on=on) == Decimal("1.0921")
    assert currency_rate_lookup(from_currency="USD", to_currency="EUR", on=on) == Decimal(1) / Decimal("1.0921")
    assert currency_rate_lookup(from_currency="USD", to_currency="CAD", on=on) == Decimal("1.4608") / Decimal("1.0921")
    with pytest.raises(RateNotFound, match="No USD→CAD exchange rate on or before 2024-01-04"):
        currency_rate_lookup(from_currency="USD", to_currency="CAD", on=date(2024, 1, 4))
    with pytest.raises(CommandError, match="No rates were loaded"):
        call_command("currency_rates_load", "--file", "/nonexistent.xml")


def test_nearest_earlier_date_and_manual_beats_loaded_on_the_same_day():
    for day, rate, source in [(date(2024, 1, 1), "1.10", "ecb"), (date(2024, 1, 3), "1.20", "ecb"),
                              (date(2024, 1, 3), "1.25", "manual"), (date(2024, 1, 9), "1.30", "ecb")]:
        CurrencyRate.objects.create(from_currency="EUR", to_currency="USD", date=day, rate=Decimal(rate), source=source)
    lookup = lambda d: currency_rate_lookup(from_currency="EUR", to_currency="USD", on=d)  # noqa: E731
    assert (lookup(date(2024, 1, 2)), lookup(date(2024, 1, 8)), lookup(date(2024, 1, 9))) == (
        Decimal("1.10"), Decimal("1.25"), Decimal("1.30"))
    assert currency_rate_lookup(from_currency="usd", to_currency="USD", on=date(2000, 1, 1)) == 1

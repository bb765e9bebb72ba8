"""The FX reference: what a rate should have been on a date.

``ANOMALY_FX_REFERENCE`` names a callable(from_currency, to_currency, on_date) -> Decimal | None.
The default reads the dated currency-rate table of the mappings app when it exists (the
latest rate on or before the date, either direction), so the check and the mapping engine
agree on one table; a deployment may point it at any provider.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

def reference_rate_from_table(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    """The mapping engine's own dated lookup (direct, inverse or cross rate), or None."""
    from mappings.rates import RateNotFound, currency_rate_lookup

    try:
        return currency_rate_lookup(from_currency=from_currency, to_currency=to_currency, on=on_date)
    except RateNotFound:
        return None


def reference_rate(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    return import_string(settings.ANOMALY_FX_REFERENCE)(from_currency, to_currency, on_date)

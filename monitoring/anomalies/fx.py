"""The FX reference: what a rate should have been on a date.

``ANOMALY_FX_REFERENCE`` names a callable(from_currency, to_currency, on_date) -> Decimal | None.
The default reads the dated currency-rate table of the mappings app when it exists (the
latest rate on or before the date, either direction), so the check and the mapping engine
agree on one table; a deployment may point it at any provider.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

# Field names the table may use; the first present is taken.
_FROM = ("from_currency", "base_currency", "source_currency")
_TO = ("to_currency", "quote_currency", "target_currency")
_DATE = ("valid_on", "date", "effective_date", "valid_from", "rate_date")


def _field(model, names) -> str | None:
    present = {f.name for f in model._meta.get_fields()}
    return next((n for n in names if n in present), None)


def reference_rate_from_table(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    try:
        model = apps.get_model("mappings", "CurrencyRate")
    except LookupError:
        return None
    f_from, f_to, f_date = _field(model, _FROM), _field(model, _TO), _field(model, _DATE)
    if not (f_from and f_to and f_date):
        return None
    for a, b, invert in ((from_currency, to_currency, False), (to_currency, from_currency, True)):
        row = (model.objects.filter(**{f_from: a, f_to: b, f"{f_date}__lte": on_date})
               .order_by(f"-{f_date}").values_list("rate", flat=True).first())
        if row:
            return (Decimal(1) / Decimal(row)) if invert else Decimal(row)
    return None


def reference_rate(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    return import_string(settings.ANOMALY_FX_REFERENCE)(from_currency, to_currency, on_date)

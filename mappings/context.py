"""What transforms may read besides the record: value tables and currency rates.

The engine is side-effect free; this is its only window on stored configuration. Tests and
previews can pass a StaticContext instead of reading the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .paths import MISSING


class RateNotFound(LookupError):
    pass


@dataclass
class TableData:
    name: str
    entries: dict[str, str]
    case_insensitive: bool = True
    default: str | None = None

    def __post_init__(self):
        self._folded = {k.casefold(): v for k, v in self.entries.items()}

    def get(self, value):
        """The mapped value, the table's default, or MISSING."""
        key = "" if value is None else str(value).strip()
        if key in self.entries:
            return self.entries[key]
        if self.case_insensitive and key.casefold() in self._folded:
            return self._folded[key.casefold()]
        return MISSING if self.default is None else self.default


class MappingContext:
    def value_table(self, name: str) -> TableData | None:
        raise NotImplementedError

    def rate(self, from_currency: str, to_currency: str, on: date) -> Decimal:
        raise NotImplementedError


@dataclass
class StaticContext(MappingContext):
    tables: dict[str, TableData] = field(default_factory=dict)
    rates: dict[tuple[str, str], list[tuple[date, Decimal]]] = field(default_factory=dict)

    def value_table(self, name):
        return self.tables.get(name)

    def rate(self, from_currency, to_currency, on):
        from .rates import rate_from_series

        return rate_from_series(self.rates, from_currency, to_currency, on)


class DatabaseContext(MappingContext):
    """Reads value tables and rates from the database, each once per context."""

    def __init__(self):
        self._tables: dict[str, TableData | None] = {}
        self._rates: dict[tuple, Decimal] = {}

    def value_table(self, name):
        if name not in self._tables:
            from .models import ValueTable

            table = ValueTable.objects.filter(name=name).prefetch_related("entries").first()
            self._tables[name] = None if table is None else TableData(
                name=table.name,
                entries={e.source_value: e.target_value for e in table.entries.all()},
                case_insensitive=table.case_insensitive,
                default=table.default_value,
            )
        return self._tables[name]

    def rate(self, from_currency, to_currency, on):
        key = (from_currency, to_currency, on)
        if key not in self._rates:
            from .rates import currency_rate_lookup

            self._rates[key] = currency_rate_lookup(from_currency=from_currency, to_currency=to_currency, on=on)
        return self._rates[key]

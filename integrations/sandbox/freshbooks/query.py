"""List parameters of the accounting API: search[...], include[], sort, page/per_page.

- ``search[f]=v`` equals; ``search[f_like]=v`` substring; ``search[f_min]`` ≥ v and
  ``search[f_max]`` < v (dates at day granularity, ``updated`` in US/Eastern days);
  ``search[fs][]=a&search[fs][]=b`` in-list (the plural of the field).
- Deleted records are hidden unless ``search[vis_state]`` asks for them.
- ``per_page`` defaults to 15 and is silently capped at 100; page 0 is page 1; a page past
  the end is empty; an empty result has ``pages`` 0.
"""
from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from .formats import EASTERN
from .kinds import Kind
from .protocol import ApiFailure, accounting_error

SEARCH = re.compile(r"^search\[([A-Za-z0-9_]+)\](\[\])?$")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 15, 100


class Query:
    def __init__(self, kind: Kind, params):
        self.kind = kind
        self.includes = tuple(params.getlist("include[]"))
        self.filters: list[tuple[str, object]] = []
        for key in params:
            match = SEARCH.match(key)
            if match:
                name, is_list = match.groups()
                self.filters.append((name, params.getlist(key) if is_list else params.get(key)))
        self.sort = params.get("sort", "")
        self.page, self.per_page = paging_params(params)
        self._validate()

    def _validate(self) -> None:
        """Unknown filters are an error even when nothing would match (a typo must not pass as 'none')."""
        template = {**self.kind.defaults, **{name: 0 for name in self.kind.id_fields}, "vis_state": 0}
        for name, value in self.filters:
            base, suffix = name, ""
            for candidate in ("_like", "_min", "_max", "_not"):
                if name.endswith(candidate):
                    base, suffix = name[: -len(candidate)], candidate
            field = base if base in ("updated", "vis_state") else self._field(template, base)
            if suffix in ("_min", "_max"):
                is_date = field == "updated" or field.endswith("date") or field == "date_paid"
                _day(value, self, name) if is_date else _number(value, self, name)

    def fail(self, errno: int, message: str, field: str, value) -> ApiFailure:
        return ApiFailure(accounting_error(400, errno, message, field=field, obj=self.kind.name, value=value))

    def vis_states(self) -> set[int] | None:
        for name, value in self.filters:
            if name == "vis_state":
                try:
                    return {int(value)}
                except (TypeError, ValueError):
                    raise self.fail(1037, "'vis_state' filter must be 0, 1 or 2.", "vis_state", value) from None
        return {0, 2} if self.kind.has_vis_state else None

    def matches(self, record: dict, updated_day: date) -> bool:
        return all(self._match(record, updated_day, name, value) for name, value in self.filters if name != "vis_state")

    def _field(self, record: dict, name: str) -> str:
        name = self.kind.filter_aliases.get(name, name)
        if name in record:
            return name
        if name.endswith("s") and name[:-1] in record:
            return name[:-1]  # clientids → clientid
        alias = self.kind.filter_aliases.get(name[:-1]) if name.endswith("s") else None
        if alias and alias in record:
            return alias
        raise self.fail(1037, f"'{name}' is not a filter of {self.kind.plural}.", name, "")

    def _match(self, record: dict, updated_day: date, name: str, value) -> bool:
        if isinstance(value, list):
            field = self._field(record, name)
            return str(_scalar(record.get(field))) in {str(v) for v in value}
        for suffix in ("_like", "_min", "_max", "_not"):
            if name.endswith(suffix):
                base = name[: -len(suffix)]
                if base == "updated":
                    return _between(updated_day, _day(value, self, name), suffix)
                field = self._field(record, base)
                actual = _scalar(record.get(field))
                if suffix == "_like":
                    return str(value).lower() in str(actual or "").lower()
                if suffix == "_not":
                    return str(actual) != str(value)
                if field.endswith("date") or field in ("date", "date_paid"):
                    return bool(actual) and _between(date.fromisoformat(str(actual)[:10]), _day(value, self, name), suffix)
                return actual is not None and _between(Decimal(str(actual)), _number(value, self, name), suffix)
        field = self._field(record, name)
        actual = _scalar(record.get(field))
        if name in self.kind.like_filters:
            return str(value).lower() in str(actual or "").lower()
        if isinstance(actual, bool):
            return actual == (str(value).lower() in ("true", "1"))
        if field == "email":
            return str(actual or "").lower() == str(value).lower()
        return str(actual) == str(value)

    def sort_key(self):
        match = re.match(r"^(.+)_(asc|desc)$", self.sort or "")
        if not match:
            return None, False
        field, direction = match.groups()
        return self.kind.sort_aliases.get(field, field), direction == "desc"

    def page_of(self, records: list[dict]) -> dict:
        total = len(records)
        pages = math.ceil(total / self.per_page) if total else 0
        start = (self.page - 1) * self.per_page
        return {self.kind.plural: records[start:start + self.per_page], "page": self.page, "pages": pages,
                "per_page": self.per_page, "total": total}


def _scalar(value):
    return value.get("amount") if isinstance(value, dict) and "amount" in value else value


def _between(actual, bound, suffix: str) -> bool:
    return actual >= bound if suffix == "_min" else actual < bound


def _day(value, query: Query, name: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise query.fail(1023, f"'{name}' must be a date in the form YYYY-MM-DD.", name, value) from None


def _number(value, query: Query, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise query.fail(1024, f"'{name}' must be a number.", name, value) from None


def paging_params(params) -> tuple[int, int]:
    raw_page, raw_per_page = params.get("page", "1"), params.get("per_page", str(DEFAULT_PER_PAGE))
    if not re.fullmatch(r"\d+", raw_page.strip() or "x"):
        raise ApiFailure(accounting_error(400, 1014, "page must be a number", field="page", value=raw_page))
    if not re.fullmatch(r"\d+", raw_per_page.strip() or "x") or int(raw_per_page) < 1:
        raise ApiFailure(accounting_error(400, 1013, "per_page must be a positive number", field="per_page",
                                          value=raw_per_page))
    return max(1, int(raw_page)), min(MAX_PER_PAGE, int(raw_per_page))


def updated_day(obj) -> date:
    return obj.updated_at.astimezone(EASTERN).date()

"""Aggregate queries (GROUP BY and COUNT/COUNT_DISTINCT/SUM/AVG/MIN/MAX) rendered as the real
AggregateResult records: ``{"attributes": {"type": "AggregateResult"}, <field or alias>: value,
…}``. An aggregate without an alias is named ``expr0``, ``expr1``, … in the order of the
aggregates that have none (SOQL reference, "Using Aliases with GROUP BY")."""
from __future__ import annotations

from datetime import date, datetime

from ..values import sf_datetime
from .filters import NUMBER, field_value
from .lexer import malformed
from .parser import Aggregate, FieldRef, LabelRef, Query

ATTRIBUTES = {"type": "AggregateResult"}
# MIN/MAX work on these besides numbers (SOQL reference, "Aggregate Functions").
ORDERED = NUMBER | {"date", "datetime", "string", "picklist", "email", "phone", "url", "id", "reference"}


def _key(path: list[str]) -> str:
    return ".".join(path).lower()


def aggregate_validate(executor, obj, query: Query) -> None:
    grouped = {_key(ref.path) for ref in query.group_by}
    for ref in query.group_by:
        executor.resolver.resolve(obj, ref)
    for item in query.select:
        if isinstance(item, Aggregate):
            _, final = executor.resolver.resolve(obj, item.field)
            numeric = item.function in ("SUM", "AVG")
            if (numeric and final.type not in NUMBER) or (item.function in ("MIN", "MAX") and final.type not in ORDERED):
                raise malformed(query.text, item.pos, f"field {final.name} does not support aggregate operator "
                                                      f"{item.function}")
        elif isinstance(item, (FieldRef, LabelRef)):
            ref = item if isinstance(item, FieldRef) else item.field
            executor.resolver.resolve(obj, ref)
            if _key(ref.path) not in grouped:
                raise malformed(query.text, ref.pos, f"Field must be grouped or aggregated: {'.'.join(ref.path)}")
        else:
            raise malformed(query.text, query.sobject_pos, "Aggregate queries cannot select subqueries or FIELDS()")
    for order in query.order_by:
        if _key(order.field.path) not in grouped:
            raise malformed(query.text, order.field.pos,
                            f"Ordered field must be grouped or aggregated: {'.'.join(order.field.path)}")


def _plain(value):
    if isinstance(value, datetime):
        return sf_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _compute(function: str, values: list):
    present = [v for v in values if v is not None]
    if function == "COUNT":
        return len(present)
    if function == "COUNT_DISTINCT":
        return len({v.lower() if isinstance(v, str) else v for v in present})
    if not present:
        return None
    if function == "SUM":
        return sum(present)
    if function == "AVG":
        return sum(present) / len(present)
    return _plain(min(present) if function == "MIN" else max(present))


def aggregate_rows(executor, obj, query: Query, records: list, label) -> list[dict]:
    """One AggregateResult per group (one in all when there is no GROUP BY), sorted and windowed."""
    group_fields = [executor.resolver.resolve(obj, ref) for ref in query.group_by]
    groups: dict[tuple, list] = {}
    for record in records:
        key = tuple(_plain(field_value(executor, record, hops, final)) for hops, final in group_fields)
        groups.setdefault(key, []).append(record)
    if not query.group_by:
        groups = {(): records}
    by_name = {_key(ref.path): index for index, ref in enumerate(query.group_by)}
    keys = list(groups)
    for order in reversed(query.order_by):
        index = by_name[_key(order.field.path)]
        nulls_last = order.nulls_last if order.nulls_last is not None else order.descending
        present = sorted((k for k in keys if k[index] is not None),
                         key=lambda k: k[index].lower() if isinstance(k[index], str) else k[index],
                         reverse=order.descending)
        missing = [k for k in keys if k[index] is None]
        keys = present + missing if nulls_last else missing + present
    start = query.offset or 0
    keys = keys[start: start + query.limit if query.limit is not None else None]
    return [_render(executor, obj, query, key, groups[key], by_name, label) for key in keys]


def _render(executor, obj, query: Query, key: tuple, rows: list, by_name: dict, label) -> dict:
    out, unnamed = {"attributes": dict(ATTRIBUTES)}, 0
    for item in query.select:
        if isinstance(item, Aggregate):
            hops, final = executor.resolver.resolve(obj, item.field)
            name = item.alias
            if name is None:
                name, unnamed = f"expr{unnamed}", unnamed + 1
            out[name] = _compute(item.function, [field_value(executor, r, hops, final) for r in rows])
        else:
            ref = item if isinstance(item, FieldRef) else item.field
            _, final = executor.resolver.resolve(obj, ref)
            value = key[by_name[_key(ref.path)]]
            out[item.alias or final.name] = label(final, value) if isinstance(item, LabelRef) else value
    return out

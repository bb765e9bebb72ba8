"""Business facts: the money a flow moved, read from its SyncItem, for the anomaly checks.

Flows are written by their own authors, so the checks never guess field names. A flow tells
the checks its facts in one of two ways:

1. in the item's result: a flow handler returns ``WriteResult(..., extra={"facts": {...}})``
   and the engine stores it as ``SyncItem.result["facts"]`` (read by default); or
2. an entry in ``BUSINESS_FACTS`` (or the ``LEDGERLINK_BUSINESS_FACTS`` setting) for the
   flow's kind: a dotted path to ``callable(sync_item) -> dict``, or a dict of fact name →
   path into the item (``"source_snapshot.Amount"``, ``"mapped_payload.invoice.currency_code"``,
   ``"result.facts.total"``; list indexes are numbers: ``"mapped_payload.lines.0.amount"``).

Fact names (all optional; a check runs only when its facts are present):
    source_amount, target_amount     the amount on each side (Opportunity amount / order total vs invoice total)
    source_currency, target_currency ISO codes on each side
    fx_rate, fx_from, fx_to, fx_date the rate the flow applied (1 fx_from = fx_rate fx_to) and its date
    gl_lines                         journal lines: [{"debit": "10.00", "credit": "0"}, ...]
    payment_amount, open_amount      a payment and the amount open on the invoice it pays
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

# flow kind → dotted path of callable(sync_item) -> dict, or {fact: "path.into.item"}
BUSINESS_FACTS: dict[str, str | dict] = {}


def value_at(item, path: str):
    """Follow "attr.key.0.key" into a SyncItem's JSON columns; None when anything is missing."""
    parts = path.split(".")
    value = getattr(item, parts[0], None)
    for part in parts[1:]:
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def facts_from_paths(paths: dict[str, str]) -> Callable:
    def extract(item) -> dict:
        return {name: v for name, path in paths.items() if (v := value_at(item, path)) is not None}
    return extract


def _extractor(kind: str) -> Callable | None:
    spec = {**BUSINESS_FACTS, **getattr(settings, "LEDGERLINK_BUSINESS_FACTS", {})}.get(kind)
    if spec is None:
        return None
    return facts_from_paths(spec) if isinstance(spec, dict) else import_string(spec)


def business_facts(item) -> dict:
    """The facts of one item: the result's own "facts", overlaid by the flow kind's extractor."""
    facts = dict((item.result or {}).get("facts") or {})
    extractor = _extractor(item.flow.kind)
    if extractor is not None:
        facts.update(extractor(item) or {})
    return facts

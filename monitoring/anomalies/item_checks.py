"""Checks on one synced item's business facts (see facts.py). Each returns a Found or None.

Every check's ``EXPLAIN`` text is shown to finance with its findings: say how it is computed.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.dateparse import parse_date

from ..findings import Found
from .fx import reference_rate


def money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def item_records(item) -> list[dict]:
    flow = item.flow
    records = [
        {"label": "Sync item", "sync_item_id": item.pk},
        {"label": "Source", "system": flow.source_connection.system, "connection_id": flow.source_connection_id,
         "object_type": item.source_object, "external_id": item.source_id},
    ]
    if item.target_external_id and flow.target_connection_id:
        records.append({"label": "Target", "system": flow.target_connection.system, "connection_id": flow.target_connection_id,
                        "object_type": flow.target_object, "external_id": item.target_external_id})
    return records


def _found(item, title, explanation, details, variant="") -> Found:
    return Found(subject=f"item:{item.pk}", title=title, explanation=explanation, details=details,
                 records=item_records(item), flow_id=item.flow_id, variant=variant)


def amount_mismatch(item, facts) -> Found | None:
    src, dst = money(facts.get("source_amount")), money(facts.get("target_amount"))
    tolerance = Decimal(str(settings.ANOMALY_AMOUNT_TOLERANCE))
    if src is None or dst is None or abs(src - dst) <= tolerance:
        return None
    return _found(item, f"{item.flow}: {item.source_object} {item.source_id} is {src} but the {item.flow.target_object} is {dst}",
                  AMOUNT_EXPLAIN, {"source_amount": str(src), "target_amount": str(dst), "difference": str(dst - src),
                                   "tolerance": str(tolerance)})


def currency_mismatch(item, facts) -> Found | None:
    src, dst = facts.get("source_currency"), facts.get("target_currency")
    if not src or not dst or str(src).upper() == str(dst).upper():
        return None
    return _found(item, f"{item.flow}: {item.source_object} {item.source_id} is in {src} but the {item.flow.target_object} is in {dst}",
                  CURRENCY_EXPLAIN, {"source_currency": src, "target_currency": dst})


def fx_rate_off(item, facts) -> Found | None:
    rate, pair_from, pair_to = money(facts.get("fx_rate")), facts.get("fx_from"), facts.get("fx_to")
    if rate is None or not pair_from or not pair_to:
        return None
    on = parse_date(str(facts.get("fx_date") or "")[:10]) or (item.finished_at or item.created_at).date()
    reference = reference_rate(pair_from, pair_to, on)
    if not reference:
        return None
    off = abs(rate - reference) / reference * 100
    if off <= Decimal(str(settings.ANOMALY_FX_TOLERANCE_PERCENT)):
        return None
    return _found(item, f"{item.flow}: {pair_from}→{pair_to} rate {rate} on {on} is {off:.1f}% from the reference {reference}",
                  FX_EXPLAIN, {"rate": str(rate), "reference": str(reference), "percent_off": f"{off:.2f}", "date": on.isoformat()})


def gl_unbalanced(item, facts) -> Found | None:
    lines = facts.get("gl_lines")
    if not isinstance(lines, list) or not lines:
        return None
    debit = sum((money(line.get("debit")) or Decimal(0)) for line in lines)
    credit = sum((money(line.get("credit")) or Decimal(0)) for line in lines)
    if debit == credit:
        return None
    return _found(item, f"{item.flow}: GL batch for {item.source_object} {item.source_id} is not balanced (debit {debit}, credit {credit})",
                  GL_EXPLAIN, {"debit": str(debit), "credit": str(credit), "difference": str(debit - credit)})


def overpayment(item, facts) -> Found | None:
    paid, open_ = money(facts.get("payment_amount")), money(facts.get("open_amount"))
    if paid is None or open_ is None or paid <= open_:
        return None
    return _found(item, f"{item.flow}: payment {item.source_id} of {paid} is larger than the open amount {open_}",
                  OVERPAYMENT_EXPLAIN, {"payment_amount": str(paid), "open_amount": str(open_), "excess": str(paid - open_)})


AMOUNT_EXPLAIN = ("The amount on the source (Opportunity amount or order total) is compared with the total of the "
                  "record written to the target (the invoice); a difference above ANOMALY_AMOUNT_TOLERANCE is a finding.")
CURRENCY_EXPLAIN = "The currency codes of the two linked records are compared; any difference is a finding."
FX_EXPLAIN = ("The exchange rate the flow applied is compared with the reference rate for that date (the currency-rate "
              "table); a difference of more than ANOMALY_FX_TOLERANCE_PERCENT percent is a finding.")
GL_EXPLAIN = "The debit and credit lines of the journal written to Infor are summed; unequal sums are a finding."
OVERPAYMENT_EXPLAIN = "A payment is compared with the amount still open on the invoice it pays; paying more is a finding."

# check name → (check, how it is computed)
ITEM_CHECKS = {
    "amount_mismatch": (amount_mismatch, AMOUNT_EXPLAIN),
    "currency_mismatch": (currency_mismatch, CURRENCY_EXPLAIN),
    "fx_rate_off": (fx_rate_off, FX_EXPLAIN),
    "gl_unbalanced": (gl_unbalanced, GL_EXPLAIN),
    "overpayment": (overpayment, OVERPAYMENT_EXPLAIN),
}

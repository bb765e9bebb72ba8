"""What finance is told when flow 2 must leave an invoice alone: the alert raised when an
Opportunity is won again (or changed) after its invoice exists (a sent invoice, or the "alert"
setting), the finding recorded when the Opportunity is deleted but its invoice stays, and the
finding that says why an invoice total differs from the Opportunity Amount."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from monitoring.findings import Found, findings_sync
from monitoring.models import Alert

ALERT_KIND = "invoice_left_unchanged"
ORPHAN_CHECK = "opportunity_deleted"


def invoice_alert_open(*, flow, item, invoice: dict, draft: bool) -> Alert:
    number = invoice.get("invoice_number") or invoice.get("id")
    why = ("the flow is set to leave existing invoices alone (on_won_again = alert)" if draft
           else "the invoice was already sent, and a sent invoice is never changed by Ledgerlink")
    values = dict(
        kind=ALERT_KIND, severity=Alert.Severity.WARNING,
        title=f"Opportunity {item.source_id} changed after FreshBooks invoice {number} was made"[:200],
        message=(f"The Opportunity was won again or its products changed, but invoice {number} was left as it is "
                 f"because {why}. Compare both and correct the invoice in FreshBooks (or issue a credit note)."),
        details={"flow": flow.name, "opportunity": item.source_id, "invoice": str(invoice.get("id")),
                 "sync_item": item.pk},
    )
    key = f"{ALERT_KIND}:{flow.pk}:{item.source_id}"
    try:
        with transaction.atomic():
            alert, _ = Alert.objects.get_or_create(key=key, status=Alert.Status.OPEN, defaults=values)
    except IntegrityError:  # opened by another worker at the same moment
        alert = Alert.objects.get(key=key, status=Alert.Status.OPEN)
    return alert


def invoice_orphan_finding(*, flow, item, binding, number, state: str) -> None:
    """An open finding (finance confirms or dismisses it; the anomaly alert rule counts it)."""
    opp = item.source_id
    found = Found(
        subject=f"flow:{flow.pk}:Opportunity:{opp}", flow_id=flow.pk,
        title=f"Opportunity {opp} was deleted in Salesforce; FreshBooks invoice {number} ({state}) remains",
        explanation=("The Opportunity this invoice was made for was deleted in Salesforce. Ledgerlink never deletes or "
                     "changes an invoice because a CRM record was deleted. If the sale is off, void the invoice or "
                     "issue a credit note in FreshBooks; if the invoice is right, dismiss this finding."),
        details={"opportunity": opp, "invoice": binding.external_id, "invoice_number": str(number), "state": state},
        records=[{"label": "Invoice", "system": "freshbooks", "connection_id": binding.connection_id,
                  "object_type": "invoice", "external_id": binding.external_id, "binding_id": binding.pk,
                  "entity_id": binding.entity_id, "sync_item_id": item.pk}],
    )
    findings_sync(check_name=ORPHAN_CHECK, found=[found], examined=None)


TOTAL_CHECK = "invoice_total_differs"


def invoice_total_finding(*, flow, item, opportunity: dict, invoice: dict, binding) -> bool:
    """The invoice total must equal the Opportunity Amount to the cent. When it does not, say why:
    a line whose quantity × price is not whole cents (2.5 × 99.99 = 249.975) is rounded by each
    system by its own rule, so their totals can differ by a cent per such line. Returns whether a
    finding was recorded; an equal total clears an earlier one."""
    subject = f"flow:{flow.pk}:Opportunity:{item.source_id}"
    amount, total = _decimal(opportunity.get("Amount")), _decimal((invoice.get("amount") or {}).get("amount"))
    if amount is None or total is None or amount == total:
        findings_sync(check_name=TOTAL_CHECK, found=[], examined={subject})
        return False
    lines = [line for line in (opportunity.get("OpportunityLineItems") or [])
             if _subcent(line.get("Quantity"), line.get("UnitPrice"))]
    words = "; ".join(f"{line.get('Name') or line.get('Id')}: {_text(line.get('Quantity'))} × "
                      f"{_text(line.get('UnitPrice'))} = {_exact(line)} (Salesforce's TotalPrice "
                      f"{_text(line.get('TotalPrice'))})" for line in lines)
    why = (f"Lines whose quantity × price is not whole cents are rounded by Salesforce and FreshBooks each by its "
           f"own rule: {words}." if lines else
           "No line has a fraction of a cent, so a line, a discount or a tax differs: compare the two line by line.")
    number = invoice.get("invoice_number") or invoice.get("id")
    found = Found(
        subject=subject, flow_id=flow.pk,
        title=f"FreshBooks invoice {number} totals {total}, Opportunity {item.source_id} amounts to {amount}"[:300],
        explanation=(f"The invoice total differs from the Opportunity Amount by {total - amount}. {why} "
                     "Ledgerlink does not change the amounts either system computed; correct the invoice in "
                     "FreshBooks (or the line in Salesforce) if the difference matters, else dismiss this finding."),
        details={"opportunity": item.source_id, "invoice": str(invoice.get("id")), "amount": str(amount),
                 "invoice_total": str(total), "half_cent_lines": [line.get("Id") for line in lines]},
        records=[{"label": "Invoice", "system": "freshbooks", "connection_id": binding.connection_id,
                  "object_type": "invoice", "external_id": binding.external_id, "binding_id": binding.pk,
                  "entity_id": binding.entity_id, "sync_item_id": item.pk}] if binding else [],
    )
    findings_sync(check_name=TOTAL_CHECK, found=[found], examined={subject})
    return True


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _text(value) -> str:
    number = _decimal(value)
    return format(number.normalize(), "f") if number is not None else "?"


def _exact(line: dict) -> str:
    return format((_decimal(line.get("Quantity")) * _decimal(line.get("UnitPrice"))).normalize(), "f")


def _subcent(quantity, price) -> bool:
    q, p = _decimal(quantity), _decimal(price)
    return q is not None and p is not None and (q * p) != (q * p).quantize(Decimal("0.01"))

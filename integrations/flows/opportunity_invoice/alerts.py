"""What finance is told when flow 2 must leave an invoice alone: the alert raised when an
Opportunity is won again (or changed) after its invoice exists (a sent invoice, or the "alert"
setting), and the finding recorded when the Opportunity is deleted but its invoice stays."""
from __future__ import annotations

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

"""The alert raised when an Opportunity is won again (or changed) after its invoice exists and
the flow must leave the invoice alone: a sent invoice, or the "alert" setting."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from monitoring.models import Alert

ALERT_KIND = "invoice_left_unchanged"


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

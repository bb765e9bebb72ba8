"""Flow 3's settings (payment → Opportunity), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.toolkit.settings import COMMON_SETTINGS, Setting

PAYMENT_OPPORTUNITY_SETTINGS = COMMON_SETTINGS.extend(
    Setting("idempotency_field", "str", default="po_number",
            help="FreshBooks invoice field holding the Opportunity id (as flow 2 writes it)."),
)

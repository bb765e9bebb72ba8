"""Flow 6's settings (payment → Infor payment), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.toolkit.settings import COMMON_SETTINGS, INFOR_CONNECTION_SETTINGS, Setting

PAYMENT_INFOR_SETTINGS = COMMON_SETTINGS.extend(
    *INFOR_CONNECTION_SETTINGS,
    Setting("payment_batch_base", "int", default=0,
            help="Added to the payment id to number its Infor payment batch (≤ 10 digits)."),
    Setting("wait_for_invoice_seconds", "int", default=900,
            help="How long to wait before retrying when Infor has not invoiced the order yet."),
)

"""Flow 5's settings (Infor delivery → invoice sent), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.toolkit.settings import COMMON_SETTINGS, INFOR_CONNECTION_SETTINGS, Setting

ACTIONS = ("mark_as_sent", "send_email", "none")

SHIPMENT_INVOICE_SETTINGS = COMMON_SETTINGS.extend(
    *INFOR_CONNECTION_SETTINGS,
    Setting("delivered_action", "choice", default="mark_as_sent", choices=ACTIONS,
            help="What a delivered order does to its invoice: apply the mapped payload (mark sent without "
                 "e-mailing), e-mail it to the client, or nothing."),
    Setting("poll_batch", "int", default=200, minimum=1, help="Open orders read per poll run."),
)

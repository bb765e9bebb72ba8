"""Flow 2's settings (Opportunity → invoice), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.toolkit.settings import COMMON_SETTINGS, Setting

#: the mapping set flow 1 would use, for the client flow 2 creates when the deal's Account has none
CLIENT_MAPPING = "salesforce-account-to-freshbooks-client"

OPPORTUNITY_INVOICE_SETTINGS = COMMON_SETTINGS.extend(
    Setting("invoice_status", "choice", default="draft", choices=("draft", "sent"),
            help="Create the invoice as a draft, or mark it sent."),
    Setting("on_won_again", "choice", default="update_draft", choices=("update_draft", "alert"),
            help="An Opportunity won again after its invoice exists: update the invoice while it is a draft, or "
                 "leave it and open an alert."),
    Setting("idempotency_field", "str", default="po_number",
            help="FreshBooks invoice field holding the Opportunity id (the idempotency marker)."),
    Setting("idempotency_lookup", "choice", default="customer_scan", choices=("customer_scan", "search"),
            help="How the marker is looked up before a create: scan the customer's invoices, or search by it."),
    Setting("on_opportunity_deleted", "choice", default="leave", choices=("leave", "archive_draft"),
            help="When the Opportunity is deleted in Salesforce: leave the invoice, or archive it while a draft."),
    Setting("client_mapping_set", "str", default=CLIENT_MAPPING,
            help="Published mapping set (by name) for a FreshBooks client created for the deal's Account."),
)

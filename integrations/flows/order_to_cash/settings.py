"""Flow 4's settings (Order-to-Cash chain), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.toolkit.settings import COMMON_SETTINGS, INFOR_CONNECTION_SETTINGS, Setting

#: the chain's steps whose mapping set a flow may name ("" is the first step, which maps no set by key)
MAPPED_STEPS = ("freshbooks_client", "freshbooks_invoice", "infor_customer", "infor_order")

ORDER_TO_CASH_SETTINGS = COMMON_SETTINGS.extend(
    *INFOR_CONNECTION_SETTINGS,
    Setting("mapping_sets", "dict", default={}, keys=MAPPED_STEPS, values=Setting("mapping set", "str"),
            help="{step: published mapping set name} replacing a step's default mapping set."),
    Setting("invoice_lines", "choice", default="order", choices=("order", "mapping"),
            help="order: invoice lines built from the parsed order (products, discounts by code, shipping, fees, "
                 "taxes the prices exclude) so the invoice total equals the order total; mapping: the mapping "
                 "set's lines only."),
    Setting("invoice_currency", "choice", default="paid", choices=("paid", "shop"),
            help="paid: the invoice in the currency the customer paid (Shopify's presentment currency); shop: in "
                 "the shop's own currency."),
    Setting("convert_to_currency", "str", default="",
            help="When set (e.g. EUR), invoice amounts are converted into it through the dated currency rates of "
                 "the order date."),
    Setting("refund_document", "choice", default="credit_note", choices=("credit_note", "finding"),
            help="A shop refund becomes a FreshBooks credit note for the invoice's client (the reference lists credit "
                 "notes but not their create body), or a finding asking finance to credit the invoice."),
    Setting("infor_refund", "choice", default="finding", choices=("finding", "none"),
            help="A refund's Infor side: a finding asking finance to credit the M3 order (the reference documents "
                 "no M3 credit or return transaction), or nothing."),
    Setting("cancelled_invoice_action", "choice", default="archive", choices=("archive", "none"),
            help="A shop order cancelled before fulfilment: its draft invoice is voided (a VOID note, then "
                 "archived, never deleted), or left alone."),
    Setting("infor_cancel_transaction", "str", default="",
            help="PROGRAM/TRANSACTION that cancels a not yet delivered M3 order on this tenant (called with ORNO); "
                 "empty: the reference documents none, so a finding asks finance to cancel it in M3."),
    Setting("update_existing_customers", "bool", default=False,
            help="Update an Infor customer the chain finds already there (default: flow 8 keeps them in step)."),
)

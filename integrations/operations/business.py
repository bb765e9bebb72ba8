"""The business record an item is about, read from its source snapshot: customer, document
number, amount, currency, date — the fields finance recognises a record by.

Each system names them differently, so each is a short list of the paths the systems use, the
first one present wins. A snapshot without them shows blanks, never an error.
"""
from __future__ import annotations

from mappings.paths import MISSING, path_get

# field → paths tried in order (FreshBooks, Salesforce, Infor M3, Shopify, WooCommerce shapes).
BUSINESS_PATHS = {
    "customer": ("organization", "vendor", "customer_name", "Account.Name", "AccountName", "Name",
                 "customer.company", "billing.company", "billing_address.company", "CUNM", "fname", "email"),
    "document": ("invoice_number", "number", "order_number", "name", "OrderNumber", "ORNO", "invoiceid", "id", "Id"),
    "amount": ("amount.amount", "amount", "total.amount", "total_price", "total", "Amount", "outstanding.amount",
               "NTAM"),
    "currency": ("amount.code", "currency_code", "currency", "total.code", "CurrencyIsoCode", "CUCD"),
    "date": ("date", "create_date", "CloseDate", "created_at", "date_created", "ORDT", "updated"),
}


def _first(snapshot: dict, paths) -> str:
    for path in paths:
        value = path_get(snapshot, path)
        if value is not MISSING and value not in (None, "", {}, []) and not isinstance(value, (dict, list)):
            return str(value)
    return ""


def business_fields(snapshot: dict) -> dict[str, str]:
    """``{"customer", "document", "amount", "currency", "date"}`` of a source snapshot (blanks if unknown)."""
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    return {name: _first(snapshot, paths) for name, paths in BUSINESS_PATHS.items()}

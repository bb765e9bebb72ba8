"""The simulated accounting resources: paths, names, writable fields and full default shapes.

Default shapes are the field sets of the official SDK fixtures (API reference §3), so a
record always renders with every key FreshBooks returns, whatever the create carried.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Field types of writable fields: S text, I integer, M money, D date, B boolean,
# N decimal kept as a string (quantities, percentages), J any JSON (lists, objects).
S, I, M, D, B, N, J = "S", "I", "M", "D", "B", "N", "J"


@dataclass(frozen=True)
class Kind:
    name: str  # our kind and the single key
    plural: str
    id_fields: tuple[str, ...]
    writable: dict[str, str]
    defaults: dict
    delete_by_put: bool = True  # PUT {"x": {"vis_state": 1}}
    delete_by_http: bool = False  # HTTP DELETE
    read_only: bool = False
    has_vis_state: bool = True
    events: bool = True  # state changes send <name>.create/update/delete webhooks
    filter_aliases: dict[str, str] = field(default_factory=dict)
    sort_aliases: dict[str, str] = field(default_factory=dict)
    like_filters: frozenset[str] = frozenset()  # documented filters that match substrings


_ADDRESS = {f"{p}_{k}": S for p in ("p", "s") for k in ("street", "street2", "city", "province", "country", "code")}

CLIENT = Kind(
    name="client", plural="clients", id_fields=("id", "userid"),
    writable={
        "fname": S, "lname": S, "email": S, "organization": S, "bus_phone": S, "home_phone": S, "mob_phone": S,
        "fax": S, "note": S, "currency_code": S, "language": S, "vat_name": S, "vat_number": S, "username": S,
        "pref_email": B, "pref_gmail": B, "allow_late_fees": B, "allow_late_notifications": B,
        "allow_email_include_pdf": B, "contacts": J, **_ADDRESS,
    },
    defaults={
        "accounting_systemid": "", "allow_email_include_pdf": False, "allow_late_fees": True,
        "allow_late_notifications": True, "bus_phone": "", "company_industry": None, "company_size": None,
        "currency_code": "USD", "direct_link_token": None, "email": "", "fax": "", "fname": "",
        "has_retainer": None, "home_phone": None, "language": "en", "last_activity": None, "last_login": None,
        "level": 0, "lname": "", "mob_phone": "", "note": None, "notified": False, "num_logins": 0,
        "organization": "", **{k: "" for k in _ADDRESS}, "pref_email": True, "pref_gmail": False,
        "retainer_id": None, "role": "client", "signup_date": "", "statement_token": None, "subdomain": None,
        "updated": "", "username": "", "uuid": "", "vat_name": None, "vat_number": None,
    },
)

INVOICE = Kind(
    name="invoice", plural="invoices", id_fields=("id", "invoiceid"), delete_by_http=True,
    writable={
        "customerid": I, "create_date": D, "due_offset_days": I, "invoice_number": S, "currency_code": S,
        "language": S, "notes": S, "terms": S, "po_number": S, "description": S, "discount_value": N,
        "discount_description": S, "address": S, "street": S, "street2": S, "city": S, "province": S, "code": S,
        "country": S, "fname": S, "lname": S, "organization": S, "vat_name": S, "vat_number": S, "template": S,
        "payment_details": S, "deposit_percentage": N, "show_attachments": B, "auto_bill": B, "lines": J,
        "fulfillment_date": D, "ownerid": I, "estimateid": I, "parent": I, "return_uri": S,
    },
    defaults={
        "accountid": "", "accounting_systemid": "", "address": "", "amount": None, "auto_bill": False,
        "autobill_status": None, "basecampid": 0, "city": "", "code": "", "country": "", "create_date": "",
        "created_at": "", "currency_code": "USD", "current_organization": "", "customerid": 0, "date_paid": None,
        "deposit_amount": None, "deposit_percentage": None, "deposit_status": "none", "description": "",
        "discount_description": None, "discount_total": None, "discount_value": "0", "display_status": "draft",
        "dispute_status": None, "due_date": "", "due_offset_days": 0, "estimateid": 0, "ext_archive": 0,
        "fname": "", "fulfillment_date": None, "generation_date": None, "gmail": False, "invoice_number": "",
        "language": "en", "last_order_status": None, "lname": "", "net_paid_amount": None, "notes": "",
        "organization": "", "outstanding": None, "ownerid": 1, "paid": None, "parent": 0, "payment_details": "",
        "payment_status": "unpaid", "po_number": None, "province": "", "return_uri": None, "sentid": 1,
        "show_attachments": False, "status": 1, "street": "", "street2": "", "template": "clean-grouped",
        "terms": None, "updated": "", "uuid": "", "v3_status": "draft", "vat_name": None, "vat_number": None,
        "version": "",
    },
    filter_aliases={"date": "create_date", "invoice_id": "invoiceid", "customer_id": "customerid"},
    sort_aliases={"invoice_date": "create_date", "date": "create_date"},
)

PAYMENT = Kind(
    name="payment", plural="payments", id_fields=("id", "logid"),
    writable={"invoiceid": I, "amount": M, "date": D, "type": S, "note": S, "orderid": I, "transactionid": S,
              "send_client_notification": B},
    defaults={
        "accounting_systemid": "", "amount": None, "bulk_paymentid": None, "clientid": 0, "creditid": None,
        "date": "", "from_credit": False, "gateway": None, "invoiceid": None, "note": "", "orderid": None,
        "overpaymentid": None, "send_client_notification": None, "transactionid": None, "type": "Check",
        "updated": "",
    },
    filter_aliases={"customerid": "clientid", "currency": "currency_code", "notes": "note"},
    like_filters=frozenset({"notes"}),
)

EXPENSE = Kind(
    name="expense", plural="expenses", id_fields=("id", "expenseid"),
    writable={
        "amount": M, "categoryid": I, "date": D, "staffid": I, "vendor": S, "notes": S, "clientid": I,
        "invoiceid": I, "projectid": I, "taxName1": S, "taxName2": S, "taxAmount1": M, "taxAmount2": M,
        "taxPercent1": N, "taxPercent2": N, "markup_percent": N, "billable": B, "status": I, "bank_name": S,
        "account_name": S, "transactionid": I, "include_receipt": B, "is_cogs": B, "compounded_tax": B,
    },
    defaults={
        "account_name": "", "accountid": None, "accounting_systemid": "", "amount": None, "attachment": None,
        "background_jobid": None, "bank_name": "", "bill_matches": [], "billable": False, "categoryid": 0,
        "clientid": 0, "compounded_tax": False, "converse_projectid": None, "date": "", "ext_accountid": None,
        "ext_invoiceid": 0, "ext_systemid": 0, "from_bulk_import": False, "has_receipt": False,
        "include_receipt": False, "invoiceid": None, "is_cogs": False, "isduplicate": False, "markup_percent": "0",
        "modern_projectid": None, "notes": "", "potential_bill_payment": False, "profileid": None, "projectid": 0,
        "staffid": 1, "status": 0, "taxAmount1": None, "taxAmount2": None, "taxName1": None, "taxName2": None,
        "taxPercent1": None, "taxPercent2": None, "transactionid": None, "updated": "", "vendor": "", "version": "",
    },
)

CATEGORY = Kind(
    name="category", plural="categories", id_fields=("id", "categoryid"), read_only=True, events=False,
    writable={}, defaults={"category": "", "created_at": "", "is_cogs": False, "is_editable": True,
                           "parentid": None, "transaction_posted": False, "updated_at": ""},
    filter_aliases={"name": "category"}, like_filters=frozenset({"name"}),
)

ITEM = Kind(
    name="item", plural="items", id_fields=("id", "itemid"),
    writable={"name": S, "description": S, "qty": N, "unit_cost": M, "sku": S, "tax1": I, "tax2": I, "inventory": N},
    defaults={"accounting_systemid": "", "description": "", "inventory": None, "name": "", "qty": "1", "sku": None,
              "tax1": 0, "tax2": 0, "unit_cost": None, "updated": ""},
)

TAX = Kind(
    name="tax", plural="taxes", id_fields=("id", "taxid"), delete_by_put=False, delete_by_http=True,
    has_vis_state=False,
    writable={"name": S, "amount": N, "number": S, "compound": B},
    defaults={"accounting_systemid": "", "amount": "0", "compound": False, "name": "", "number": None, "updated": ""},
)

# Credit notes: listed by the reference (path and keys, SDK) with recorded overpayment credits; how
# a credit note is created is not documented, so the simulator accepts the fields an invoice uses
# for the same things (clientid, create_date, currency_code, description, notes, lines) and
# computes the amount from the lines; account option ``credit_notes_writable`` (default on) turns
# creation off for a stricter run.
CREDIT_NOTE = Kind(
    name="credit_note", plural="credit_notes", id_fields=("id", "creditid"), events=True,
    writable={"clientid": I, "create_date": D, "currency_code": S, "description": S, "notes": S, "lines": J,
              "credit_number": S},
    defaults={"amount": None, "clientid": 0, "create_date": "", "credit_number": "",
              "credit_type": "overpayment", "currency_code": "USD", "description": "", "notes": "",
              "status": "sent", "updated": ""},
)

# URL path under /accounting/account/<account_id>/ → kind.
KINDS_BY_PATH: dict[str, Kind] = {
    "users/clients": CLIENT,
    "invoices/invoices": INVOICE,
    "payments/payments": PAYMENT,
    "expenses/expenses": EXPENSE,
    "expenses/categories": CATEGORY,
    "items/items": ITEM,
    "taxes/taxes": TAX,
    "credit_notes/credit_notes": CREDIT_NOTE,
}
KINDS: dict[str, Kind] = {kind.name: kind for kind in KINDS_BY_PATH.values()}

# Events a callback may subscribe to (API reference §4.5); a bare parent name takes all of them.
EVENT_NAMES: set[str] = {
    f"{obj}.{verb}"
    for obj in ("bill", "bill_vendor", "category", "client", "credit_note", "estimate", "expense", "invoice", "item",
                "payment", "project", "recurring", "service", "tax", "time_entry")
    for verb in ("create", "update", "delete")
} | {"invoice.sendByEmail", "estimate.sendByEmail"}
PARENT_EVENTS: set[str] = {name.split(".")[0] for name in EVENT_NAMES}

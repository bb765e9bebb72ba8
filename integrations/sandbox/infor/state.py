"""Shared state helpers of the simulated tenant: number series, change stamps, seed data."""
from __future__ import annotations

import secrets
import time

from django.db import transaction
from django.db.models import F

from .models import Account, AuthorizedApp, CodeEntry, Item, NumberSeries

DEFAULT_TENANT = "LEDGERLINK_TST"

# name → first number. Temporary order numbers are a separate series, as in M3 batch entry.
SERIES_START = {
    "CUNO": 10001, "ORNO_TEMP": 9000001, "ORNO": 1000001, "IVNO": 500001, "JRNO": 1, "VONO": 70001,
}

# Seed data of the demo company 100 (what an M3 consultant would have set up).
SEED_ACCOUNTS = [
    ("1510", "Accounts receivable", "1"), ("1910", "Bank operating account", "1"), ("2440", "Accounts payable", "1"),
    ("2640", "Input VAT", "1"), ("3010", "Sales of goods", "2"), ("5410", "Office supplies", "2"),
    ("5800", "Travel", "2"), ("6110", "Software subscriptions", "2"), ("6540", "IT services", "2"),
    ("6990", "Other expenses", "2"),
    # The accounts Ledgerlink's default expense-category table and GL offset point at.
    ("2000", "Expense clearing (paid by card/bank)", "1"), ("6100", "Advertising", "2"), ("6200", "Vehicle costs", "2"),
    ("6300", "Rent and leases", "2"), ("6410", "Meals and entertainment", "2"), ("6420", "Travel and airfare", "2"),
    ("6500", "Office expenses and postage", "2"), ("6600", "Utilities", "2"), ("6700", "Insurance", "2"),
    ("6800", "Professional services", "2"),
]
SEED_BLOCKED_ACCOUNTS = [("4999", "Closed: old cost of sales", "2")]
SEED_CODES = {
    "CUCL": [("SMB", "Small and medium business"), ("MID", "Mid-market"), ("ENT", "Enterprise"),
             ("RET", "Retail / web shop"), ("GOV", "Public sector")],
    "PYCD": [("CC", "Credit card"), ("BT", "Bank transfer"), ("PP", "PayPal"), ("CSH", "Cash")],
    "BOPE": [("1", "Incoming payments, manual"), ("2", "Incoming payments, bank file")],
    "PYTP": [("0", "Normal payment"), ("1", "Partial payment"), ("CC", "Card payment"), ("BT", "Bank transfer"),
             ("PP", "PayPal"), ("CA", "Cash"), ("CH", "Cheque"), ("OT", "Other")],
    "TEPY": [("30", "Net 30 days"), ("14", "Net 14 days"), ("0", "Due on receipt")],
    "CUTM": [("TMPL", "Standard customer template"), ("WEB", "Web shop customer template")],
    "INTN": [("LEDGERLINK", "Ledgerlink expenses (field based)")],
    "ORTP": [("A01", "Standard customer order")],
    "WHLO": [("001", "Main warehouse")],
    "CSCD": [(c, c) for c in ("AU", "CA", "DE", "DK", "FI", "FR", "GB", "IE", "NL", "NO", "SE", "US")],
}
SEED_ITEMS = [("WIDGET-S", "Widget small", "12.50"), ("WIDGET-L", "Widget large", "49.00"),
              ("SERVICE-H", "Service hour", "95.00"), ("SHIPPING", "Shipping and handling", "7.95")]


def series_next(name: str) -> int:
    """Next number of a series (row-level increment: concurrent callers never get the same one)."""
    with transaction.atomic():
        row, _ = NumberSeries.objects.get_or_create(name=name, defaults={"next_value": SERIES_START[name]})
        NumberSeries.objects.filter(pk=row.pk).update(next_value=F("next_value") + 1)
        row.refresh_from_db()
        return row.next_value - 1


def change_stamp() -> int:
    """LMTS: a change timestamp that only moves forward (milliseconds)."""
    return int(time.time() * 1000)


def seed_ensure() -> None:
    """Idempotent: the tenant's master data and its default authorized app.

    Called on every request (a cheap existence check) so the simulator works on a fresh
    database and after a test flush without a fixture step.
    """
    if Account.objects.exists():
        return
    with transaction.atomic():
        for aitm, tx40, aicl in SEED_ACCOUNTS:
            Account.objects.get_or_create(aitp="1", aitm=aitm, defaults={"tx40": tx40, "aicl": aicl})
        for aitm, tx40, aicl in SEED_BLOCKED_ACCOUNTS:
            Account.objects.get_or_create(aitp="1", aitm=aitm, defaults={"tx40": tx40, "aicl": aicl, "blocked": True})
        for stco, entries in SEED_CODES.items():
            for stky, tx40 in entries:
                CodeEntry.objects.get_or_create(stco=stco, stky=stky, defaults={"tx40": tx40, "tx15": tx40[:15]})
        for itno, itds, sapr in SEED_ITEMS:
            Item.objects.get_or_create(itno=itno, defaults={"itds": itds, "sapr": sapr})
        app_default()


def app_default() -> AuthorizedApp:
    app = AuthorizedApp.objects.filter(tenant=DEFAULT_TENANT).order_by("pk").first()
    if app:
        return app
    return AuthorizedApp.objects.create(
        tenant=DEFAULT_TENANT, name="Ledgerlink backend service",
        client_id=f"{DEFAULT_TENANT}~{secrets.token_urlsafe(18)}", client_secret=secrets.token_urlsafe(40),
        service_account_access_key=f"{DEFAULT_TENANT}#{secrets.token_urlsafe(30)}",
        service_account_secret_key=secrets.token_urlsafe(40),
    )


def ionapi_document(app: AuthorizedApp, *, root_url: str) -> dict:
    """The .ionapi file of an app, with URLs under ``root_url`` (the simulator's /sandbox/infor)."""
    root = root_url.rstrip("/")
    document = {
        "ti": app.tenant, "cn": app.name, "dt": "12", "ci": app.client_id, "cs": app.client_secret,
        "iu": root, "pu": f"{root}/{app.tenant}/as/", "oa": "authorization.oauth2", "ot": "token.oauth2",
        "or": "revoke_token.oauth2", "ev": "U000000001", "v": "1.0",
    }
    if app.service_account_access_key:
        document.update(saak=app.service_account_access_key, sask=app.service_account_secret_key)
    return document


def code_exists(stco: str, stky: str) -> bool:
    return CodeEntry.objects.filter(stco=stco, stky=stky).exists()

"""Creating simulated FreshBooks businesses, people and OAuth apps (demo data and tests)."""
from __future__ import annotations

import secrets
import string
from urllib.parse import urlsplit

from django.db import transaction

from .models import SimAccount, SimApp, SimMembership, SimObject, SimUser

# The expense categories every FreshBooks account comes with (a representative subset).
PRESET_CATEGORIES = [
    ("Advertising", None), ("Car & Truck Expenses", None), ("Office Expenses & Postage", None),
    ("Professional Services", None), ("Rent or Lease", None), ("Travel", None), ("Airfare", "Travel"),
    ("Hotel/Lodging/Accommodation", "Travel"), ("Meals and Entertainment", None), ("Utilities", None),
    ("Cost of Goods Sold", None),
]
DEMO_APP_CLIENT_ID = "ledgerlink-sandbox"
DEMO_USER_EMAIL = "owner@demo-freshbooks.example"


def _account_code() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(6))
        if not SimAccount.objects.filter(account_id=code).exists():
            return code


def sandbox_account_create(*, name: str, owner: SimUser, currency_code: str = "USD", account_id: str = "") -> SimAccount:
    """A business with its accounting account, its owner and the preset expense categories."""
    with transaction.atomic():
        business_id = (SimAccount.objects.order_by("-business_id").values_list("business_id", flat=True).first() or 439000) + 1
        account = SimAccount.objects.create(account_id=account_id or _account_code(), business_id=business_id,
                                            name=name, currency_code=currency_code)
        SimMembership.objects.create(user=owner, account=account, role="owner", legacy_user_id=1)
        parents = {}
        for category, parent in PRESET_CATEGORIES:
            data = {"category": category, "parentid": parents.get(parent), "is_editable": parent is not None,
                    "is_cogs": category == "Cost of Goods Sold", "transaction_posted": False}
            parents[category] = SimObject.objects.create(account=account, kind="category", data=data).pk
    return account


def sandbox_user_create(*, email: str, first_name: str = "", last_name: str = "") -> SimUser:
    return SimUser.objects.create(email=email, first_name=first_name, last_name=last_name)


def sandbox_app_create(*, client_id: str, name: str = "", client_secret: str = "", redirect_uris: str = "",
                       token_lifetime_seconds: int = 43200, local_sandbox: bool = False, scopes: str = "") -> SimApp:
    app = SimApp(client_id=client_id, name=name or client_id, client_secret=client_secret or secrets.token_urlsafe(24),
                 token_lifetime_seconds=token_lifetime_seconds, scopes=scopes)
    return sandbox_app_register(app, redirect_uris=redirect_uris.split(), local_sandbox=local_sandbox)


def sandbox_app_register(app: SimApp, *, redirect_uris, local_sandbox: bool | None = None) -> SimApp:
    """Register redirect URIs on an app as the developer portal does: https without a query
    string (http too when the app is a local sandbox app). Raises ValueError saying why not."""
    if local_sandbox is not None:
        app.local_sandbox = local_sandbox
    uris = [u.strip() for u in redirect_uris if u.strip()]
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{uri}: not an absolute URL")
        if parts.scheme != "https" and not app.local_sandbox:
            raise ValueError(f"{uri}: redirect URIs must use https")
        if parts.query or parts.fragment:
            raise ValueError(f"{uri}: redirect URIs may not contain a query string")
    app.redirect_uris = "\n".join(uris)
    app.save()
    return app


def sandbox_demo_seed() -> tuple[SimApp, SimUser, SimAccount]:
    """The demo business `make run` shows (idempotent): an app, an owner, clients and a tax."""
    app = SimApp.objects.filter(client_id=DEMO_APP_CLIENT_ID).first() or sandbox_app_create(
        client_id=DEMO_APP_CLIENT_ID, name="Ledgerlink (sandbox)")
    user = SimUser.objects.filter(email=DEMO_USER_EMAIL).first() or sandbox_user_create(
        email=DEMO_USER_EMAIL, first_name="Dana", last_name="Owner")
    membership = user.memberships.select_related("account").order_by("pk").first()
    if membership:
        return app, user, membership.account
    account = sandbox_account_create(name="Demo Consulting Ltd", owner=user)
    for fname, lname, organization, email in [
        ("Gordon", "Shumway", "American Cyanamid", "gordon@cyanamid.example"),
        ("Willie", "Tanner", "Tanner Family Services", "willie@tanner.example"),
    ]:
        SimObject.objects.create(account=account, kind="client", data={
            "fname": fname, "lname": lname, "organization": organization, "email": email, "currency_code": "USD"})
    SimObject.objects.create(account=account, kind="tax", data={"name": "HST", "amount": "13", "number": "RT 1234"})
    return app, user, account

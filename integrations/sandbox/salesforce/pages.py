"""Browser pages of the simulated org: accounts and contacts (create and edit), products,
opportunities (add products, change stage), orders (add products, activate), the change events sent,
and the org's switches and faults.

Writes go through the same services as the API, so a page edit emits change events like a
user editing in Salesforce (no API changeOrigin)."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from . import services
from .context import WriteContext, write_context_use
from .errors import SfApiError
from .events import deliveries_drain
from .models import SfChangeEvent, SfConnectedApp, SfCustomField, SfRecord, SfSubscription
from .org import STAGES, integration_user, org_get
from .pubsub.server import server_status
from .schema import CDC_OBJECTS
from .writes import record_create, record_update


def _records(sobject: str, limit: int = 200) -> list[dict]:
    rows = SfRecord.objects.filter(sobject=sobject, is_deleted=False).order_by("-pk")[:limit]
    return [r.fields for r in rows]


def _write(request, action, success: str) -> bool:
    """Run a write as a UI user; show the API's own error text when it is refused."""
    try:
        with write_context_use(WriteContext(user_id=integration_user().sf_id)), transaction.atomic():
            action()
    except SfApiError as exc:
        messages.error(request, f"{exc.code}: {exc.message}")
        return False
    messages.success(request, success)
    return True


def _form(request, names: list[str]) -> dict:
    return {n: request.POST.get(n).strip() for n in names if (request.POST.get(n) or "").strip()}


def _pubsub_status() -> dict:
    return server_status(f"{settings.SANDBOX_SALESFORCE_PUBSUB_HOST}:{settings.SANDBOX_SALESFORCE_PUBSUB_PORT}")


def index(request):
    org = org_get()
    return render(request, "sandbox/salesforce/index.html", {
        "org": org, "apps": SfConnectedApp.objects.all(), "subscriptions": SfSubscription.objects.all(),
        "custom_fields": SfCustomField.objects.order_by("sobject", "pk"),
        "pubsub": _pubsub_status(),
        "counts": {n: SfRecord.objects.filter(sobject=n, is_deleted=False).count()
                   for n in ("Account", "Contact", "Opportunity", "OpportunityLineItem", "Product2")}})


def accounts(request):
    if request.method == "POST":
        data = _form(request, ["Name", "FreshBooks_Client_Id__c", "Phone", "BillingCity", "BillingCountry"])
        _write(request, lambda: record_create("Account", data), f"Account {data.get('Name', '')} created.")
        return redirect("sandbox-salesforce:accounts")
    return render(request, "sandbox/salesforce/accounts.html", {"accounts": _records("Account")})


def contacts(request):
    if request.method == "POST":
        data = _form(request, ["FirstName", "LastName", "Email", "Phone", "AccountId"])
        _write(request, lambda: record_create("Contact", data), "Contact created.")
        return redirect("sandbox-salesforce:contacts")
    return render(request, "sandbox/salesforce/contacts.html",
                  {"contacts": _records("Contact"), "accounts": _records("Account")})


# What a person may edit on a record's page (the fields a sales user edits in Salesforce).
EDITABLE = {
    "Account": ["Name", "Phone", "Website", "BillingStreet", "BillingCity", "BillingPostalCode", "BillingCountry"],
    "Contact": ["FirstName", "LastName", "Email", "Phone", "Title", "AccountId"],
}
LIST_PAGE = {"Account": "sandbox-salesforce:accounts", "Contact": "sandbox-salesforce:contacts"}


def _edited(request, before: dict, names: list[str]) -> dict:
    """The fields the form changed; a cleared box clears the field (null)."""
    changes = {}
    for name in names:
        value = (request.POST.get(name) or "").strip() or None
        if value != before.get(name):
            changes[name] = value
    return changes


def _record_edit(request, sobject: str, sf_id: str, template: str, extra: dict):
    """Edit a record through the API's write path: the same validation, a change event (no
    API changeOrigin, like a person in Salesforce) and a new SystemModstamp."""
    record = SfRecord.objects.filter(sobject=sobject, sf_id=sf_id, is_deleted=False).first()
    if record is None:
        messages.error(request, f"No {sobject.lower()} {sf_id}.")
        return redirect(LIST_PAGE[sobject])
    if request.method == "POST":
        changes = _edited(request, record.fields, EDITABLE[sobject])
        if not changes:
            messages.info(request, "Nothing changed.")
        else:
            _write(request, lambda: record_update(sobject, sf_id, changes), f"{sobject} saved: {', '.join(changes)}.")
        return redirect(request.path)
    return render(request, template, {"record": record.fields, **extra})


def account(request, sf_id: str):
    return _record_edit(request, "Account", sf_id, "sandbox/salesforce/account.html", {})


def contact(request, sf_id: str):
    return _record_edit(request, "Contact", sf_id, "sandbox/salesforce/contact.html", {"accounts": _records("Account")})


def products(request):
    if request.method == "POST":
        data = _form(request, ["Name", "ProductCode", "UnitPrice"])
        try:
            price = float(data.get("UnitPrice", ""))
        except ValueError:
            messages.error(request, "Unit price must be a number.")
            return redirect("sandbox-salesforce:products")
        _write(request, lambda: services.product_with_price_create(
            name=data.get("Name", ""), code=data.get("ProductCode", ""), unit_price=price), "Product created.")
        return redirect("sandbox-salesforce:products")
    return render(request, "sandbox/salesforce/products.html", {"entries": _records("PricebookEntry")})


def opportunities(request):
    if request.method == "POST":
        data = _form(request, ["Name", "AccountId", "StageName", "CloseDate", "Amount"])
        _write(request, lambda: record_create("Opportunity", data), "Opportunity created.")
        return redirect("sandbox-salesforce:opportunities")
    return render(request, "sandbox/salesforce/opportunities.html", {
        "opportunities": _records("Opportunity"), "accounts": _records("Account"), "stages": [s[0] for s in STAGES]})


def _record(sobject: str, sf_id: str) -> SfRecord | None:
    return SfRecord.objects.filter(sobject=sobject, sf_id=sf_id, is_deleted=False).first()


def _children(sobject: str, parent_field: str, sf_id: str) -> list[dict]:
    return [r for r in _records(sobject, 2000) if r.get(parent_field) == sf_id]


def opportunity(request, sf_id: str):
    record = _record("Opportunity", sf_id)
    if record is None:
        messages.error(request, f"No opportunity {sf_id}.")
        return redirect("sandbox-salesforce:opportunities")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "stage":
            _write(request, lambda: record_update("Opportunity", sf_id, _form(request, ["StageName"])), "Stage changed.")
        elif action == "product":
            data = {"OpportunityId": sf_id, **_form(request, ["PricebookEntryId", "Quantity", "UnitPrice"])}
            _write(request, lambda: record_create("OpportunityLineItem", data), "Product added.")
        elif action == "contact":
            data = {"OpportunityId": sf_id, "IsPrimary": bool(request.POST.get("IsPrimary")),
                    **_form(request, ["ContactId", "Role"])}
            _write(request, lambda: record_create("OpportunityContactRole", data), "Contact role added.")
        return redirect("sandbox-salesforce:opportunity", sf_id=sf_id)
    lines = _children("OpportunityLineItem", "OpportunityId", sf_id)
    roles = _children("OpportunityContactRole", "OpportunityId", sf_id)
    return render(request, "sandbox/salesforce/opportunity.html", {
        "opp": record.fields, "lines": lines, "roles": roles, "entries": _records("PricebookEntry"),
        "contacts": _records("Contact"), "stages": [s[0] for s in STAGES]})


def orders(request):
    """Orders (the generic Order → FreshBooks invoice demo flow reads activated ones): create one as a draft."""
    if request.method == "POST":
        data = {"Status": "Draft", **_form(request, ["AccountId", "EffectiveDate", "Description"])}
        _write(request, lambda: record_create("Order", data), "Order created (Draft): add products, then activate it.")
        return redirect("sandbox-salesforce:orders")
    return render(request, "sandbox/salesforce/orders.html", {
        "orders": _records("Order"), "accounts": _records("Account")})


def order(request, sf_id: str):
    record = _record("Order", sf_id)
    if record is None:
        messages.error(request, f"No order {sf_id}.")
        return redirect("sandbox-salesforce:orders")
    if request.method == "POST":
        if request.POST.get("action") == "status":
            _write(request, lambda: record_update("Order", sf_id, _form(request, ["Status"])), "Status changed.")
        elif request.POST.get("action") == "product":
            data = {"OrderId": sf_id, **_form(request, ["Description", "Quantity", "UnitPrice"])}
            _write(request, lambda: record_create("OrderItem", data), "Product added.")
        return redirect("sandbox-salesforce:order", sf_id=sf_id)
    return render(request, "sandbox/salesforce/order.html",
                  {"order": record.fields, "lines": _children("OrderItem", "OrderId", sf_id)})


def events(request):
    if request.method == "POST":
        result = deliveries_drain(include_future=True)
        messages.success(request, f"Delivered {result['sent']} event(s); {result['failed']} failed (will retry).")
        return redirect("sandbox-salesforce:events")
    rows = SfChangeEvent.objects.prefetch_related("deliveries__subscription").order_by("-pk")[:200]
    return render(request, "sandbox/salesforce/events.html", {"events": rows})


def org_settings(request):
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "expire_sessions":
            services.sessions_expire_now()
            messages.success(request, "Every session issued so far is now expired (401 INVALID_SESSION_ID; open "
                                      "Pub/Sub streams end with UNAUTHENTICATED).")
        elif action == "spend_budget":
            services.api_budget_exhaust()
            messages.success(request, "The daily API budget is spent: calls get 403 REQUEST_LIMIT_EXCEEDED.")
        elif action == "drop_streams":
            services.pubsub_streams_drop()
            messages.success(request, "Open Pub/Sub streams are dropped (UNAVAILABLE); new subscriptions work.")
        elif action == "expire_replay_ids":
            services.pubsub_replay_ids_expire()
            messages.success(request, "Every replay id so far is outside retention: CUSTOM from one gets "
                                      "replayid.corrupted.")
        else:
            _settings_save(request)
        return redirect("sandbox-salesforce:settings")
    return render(request, "sandbox/salesforce/settings.html", {
        "org": org_get(), "pubsub": _pubsub_status(), "cdc_objects": sorted(CDC_OBJECTS)})


def _settings_save(request) -> None:
    numbers = ("query_page_size", "api_daily_limit", "fault_lock_row", "fault_unavailable", "fault_unauthorized",
               "latency_ms",
               "pubsub_keepalive_seconds", "pubsub_retention_hours")
    org = org_get()
    try:
        values = {n: int(request.POST.get(n) or getattr(org, n)) for n in numbers}
        values["cdc_entities"] = services.cdc_entities_parse(request.POST.get("cdc_entities", ""))
    except ValueError as exc:
        messages.error(request, str(exc) if "Change Data Capture" in str(exc) else "Numbers only, please.")
        return
    if any(values[n] < 0 for n in numbers):
        messages.error(request, "Numbers only, please.")
        return
    values["query_page_size"] = min(2000, max(1, values["query_page_size"]))
    values["pubsub_keepalive_seconds"] = min(270, max(1, values["pubsub_keepalive_seconds"]))
    values.update({n: bool(request.POST.get(n)) for n in ("multi_currency", "duplicate_rules", "empty_subquery_null",
                                                             "custom_fields_installed")})
    services.org_configure(**values)
    messages.success(request, "Settings saved.")

"""Pages a person uses in a browser: accounts with their fault switches, clients, invoices
(with lines), payments, expenses, recording a payment, and the webhook deliveries with the
receivers' answers. Writes go through the same record services as the API, so a change
made here sends webhooks exactly as an API change does.
"""
from __future__ import annotations

import json

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse

from .deliveries import deliveries_drain
from .faults import FAULT_FIELDS, faults_clear, faults_set, tokens_expire_all
from .formats import BadValue
from .kinds import KINDS
from .models import OPTION_DEFAULTS, SimAccount, SimApp, SimDelivery, SimObject
from .protocol import ApiFailure
from .records import record_create, record_render, record_update

# What each page shows and lets a person edit.
PAGE_KINDS = {
    "client": {"title": "Clients", "columns": ["id", "organization", "fname", "lname", "email", "updated"],
               "fields": ["organization", "fname", "lname", "email", "bus_phone", "p_street", "p_city", "p_province",
                          "p_country", "p_code", "currency_code", "note"]},
    "invoice": {"title": "Invoices", "columns": ["id", "invoice_number", "current_organization", "create_date", "amount",
                                                 "outstanding", "v3_status"],
                "fields": ["customerid", "create_date", "due_offset_days", "invoice_number", "currency_code",
                           "po_number", "discount_value", "notes", "terms"]},
    "payment": {"title": "Payments", "columns": ["id", "invoiceid", "clientid", "date", "amount", "type"],
                "fields": ["invoiceid", "amount", "date", "type", "note"]},
    "expense": {"title": "Expenses", "columns": ["id", "date", "vendor", "categoryid", "amount", "status"],
                "fields": ["amount", "categoryid", "date", "staffid", "vendor", "notes", "clientid"]},
}
LINE_ROWS_EXTRA = 2


def _account(account_id: str) -> SimAccount:
    return get_object_or_404(SimAccount, account_id=account_id)


def _owner(account: SimAccount):
    membership = account.memberships.select_related("user").order_by("pk").first()
    return membership.user if membership else None


def _problem(exc) -> str:
    if isinstance(exc, ApiFailure):
        body = json.loads(exc.response.content)
        errors = (body.get("response") or {}).get("errors") or [body]
        return "; ".join(str(e.get("message")) for e in errors)
    return str(exc)


def index(request):
    # The SDKs join paths as f"{base}/accounting/…": the base URL must not end in a slash.
    base_url = request.build_absolute_uri(reverse("sandbox_freshbooks:index")).rstrip("/")
    return render(request, "sandbox/freshbooks/index.html",
                  {"accounts": SimAccount.objects.order_by("name"), "base_url": base_url,
                   "apps": SimApp.objects.order_by("name")})


def account_page(request, account_id):
    account = _account(account_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "faults":
                faults_set(account=account, **{f: int(request.POST.get(f) or 0) for f in FAULT_FIELDS})
                messages.success(request, "Fault injection updated.")
            elif action == "clear_faults":
                faults_clear(account=account)
                messages.success(request, "All faults cleared.")
            elif action == "expire_tokens":
                messages.success(request, f"Expired {tokens_expire_all(account=account)} access token(s).")
            elif action == "options":
                options = json.loads(request.POST.get("options") or "{}")
                unknown = set(options) - set(OPTION_DEFAULTS)
                if not isinstance(options, dict) or unknown:
                    raise ValueError(f"Unknown option(s): {', '.join(sorted(unknown))}")
                account.options = options
                account.save(update_fields=["options"])
                messages.success(request, "Options saved.")
        except (ValueError, TypeError) as exc:
            messages.error(request, f"Not saved: {exc}")
        return redirect("sandbox_freshbooks:account", account.account_id)
    context = {
        "account": account, "faults": [(f, label, getattr(account, f)) for f, label in FAULT_FIELDS.items()],
        "options": json.dumps({**OPTION_DEFAULTS, **account.options}, indent=2),
        "callbacks": account.callbacks.all(), "members": account.memberships.select_related("user"),
        "counts": {kind: account.records.filter(kind=kind).exclude(vis_state=1).count() for kind in PAGE_KINDS},
    }
    return render(request, "sandbox/freshbooks/account.html", context)


def _choices(account: SimAccount, kind: str) -> dict[str, list[tuple[str, str]]]:
    """Pickers for fields that name another record: an expense's category (the account's
    preset categories, children under their parent) and staff member (the business's people by
    their per-account id; 1 is the owner), so nobody has to know the ids."""
    if kind != "expense":
        return {}
    categories = {c.pk: c.data for c in account.records.filter(kind="category", vis_state=0).order_by("pk")}

    def label(data: dict) -> str:
        parent = categories.get(data.get("parentid"))
        return f"{parent['category']} › {data['category']}" if parent else data["category"]
    staff = [(str(m.legacy_user_id), f"{m.user.first_name} {m.user.last_name}".strip() or m.user.email)
             for m in account.memberships.select_related("user").exclude(role="client").order_by("legacy_user_id")]
    return {"categoryid": sorted(((str(pk), label(d)) for pk, d in categories.items()), key=lambda c: c[1].lower()),
            "staffid": staff}


def records_page(request, account_id, kind):
    account, page = _account(account_id), PAGE_KINDS.get(kind) or _missing()
    if request.method == "POST":
        try:
            obj = record_create(account=account, kind=KINDS[kind], values=_values(request, kind), actor=_owner(account))
            messages.success(request, f"Created {kind} {obj.pk}.")
            return redirect("sandbox_freshbooks:record", account.account_id, kind, obj.pk)
        except (ApiFailure, BadValue) as exc:
            messages.error(request, f"Not created: {_problem(exc)}")
    rows = account.records.filter(kind=kind).order_by("-id")
    if not request.GET.get("deleted"):
        rows = rows.exclude(vis_state=1)
    records = [record_render(obj) for obj in rows[:200]]
    table = [[_cell(r.get(c)) for c in page["columns"]] + [r["id"], r.get("vis_state")] for r in records]
    choices = _choices(account, kind)
    return render(request, "sandbox/freshbooks/records.html", {
        "account": account, "kind": kind, "page": page, "table": table,
        "fields": [(f, choices.get(f)) for f in page["fields"]]})


def record_page(request, account_id, kind, object_id):
    account, page = _account(account_id), PAGE_KINDS.get(kind) or _missing()
    obj = get_object_or_404(SimObject, account=account, kind=kind, pk=object_id)
    if request.method == "POST":
        action, actor = request.POST.get("action", "save"), _owner(account)
        try:
            with transaction.atomic():
                if action == "save":
                    record_update(account=account, kind=KINDS[kind], obj=obj, values=_values(request, kind), actor=actor)
                elif action == "mark_sent":
                    record_update(account=account, kind=KINDS[kind], obj=obj, values={"action_mark_as_sent": True}, actor=actor)
                elif action == "delete":
                    record_update(account=account, kind=KINDS[kind], obj=obj, values={"vis_state": 1}, actor=actor)
                elif action == "restore":
                    record_update(account=account, kind=KINDS[kind], obj=obj, values={"vis_state": 0}, actor=actor)
                elif action == "pay" and kind == "invoice":
                    record_create(account=account, kind=KINDS["payment"], actor=actor, values={
                        "invoiceid": obj.pk, "amount": request.POST.get("pay_amount"),
                        "date": request.POST.get("pay_date"), "type": request.POST.get("pay_type") or "Check"})
            messages.success(request, "Saved.")
        except (ApiFailure, BadValue) as exc:
            messages.error(request, f"Not saved: {_problem(exc)}")
        return redirect("sandbox_freshbooks:record", account.account_id, kind, obj.pk)
    record = record_render(obj, includes=("lines",))
    lines = record.get("lines", []) + [{} for _ in range(LINE_ROWS_EXTRA)] if kind == "invoice" else []
    payments = ([record_render(p) for p in account.records.filter(kind="payment", data__invoiceid=obj.pk)]
                if kind == "invoice" else [])
    return render(request, "sandbox/freshbooks/record.html", {
        "account": account, "kind": kind, "page": page, "record": record, "lines": lines, "payments": payments,
        "form": [(f, _cell(record.get(f)), _choices(account, kind).get(f)) for f in page["fields"]],
        "raw": json.dumps(record, indent=2, sort_keys=True)})


def deliveries_page(request, account_id):
    account = _account(account_id)
    if request.method == "POST":
        if request.POST.get("action") == "retry_failed":
            account.deliveries.filter(status=SimDelivery.Status.FAILED).update(status=SimDelivery.Status.PENDING,
                                                                              attempts=0)
        messages.success(request, f"Sent {deliveries_drain()} delivery(ies).")
        return redirect("sandbox_freshbooks:deliveries", account.account_id)
    return render(request, "sandbox/freshbooks/deliveries.html", {
        "account": account, "deliveries": account.deliveries.all()[:200]})


def _values(request, kind: str) -> dict:
    values = {f: request.POST[f].strip() for f in PAGE_KINDS[kind]["fields"] if request.POST.get(f, "").strip()}
    if kind == "invoice":
        names, qtys, costs = (request.POST.getlist(k) for k in ("line_name", "line_qty", "line_cost"))
        values["lines"] = [{"name": n, "qty": q or 1, "unit_cost": c or 0} for n, q, c in zip(names, qtys, costs) if n.strip()]
    return values


def _cell(value):
    if isinstance(value, dict) and "amount" in value:
        return f"{value['amount']} {value.get('code', '')}".strip()
    return "" if value is None else value


def _missing():
    raise Http404("No such page")


urlpatterns = [
    path("", index, name="index"),
    path("accounts/<str:account_id>/", account_page, name="account"),
    path("accounts/<str:account_id>/webhooks/", deliveries_page, name="deliveries"),
    path("accounts/<str:account_id>/<str:kind>/", records_page, name="records"),
    path("accounts/<str:account_id>/<str:kind>/<int:object_id>/", record_page, name="record"),
]

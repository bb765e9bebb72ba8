"""The simulator's browser page: see the tenant's data, move orders through the warehouse,
inject gateway faults, download the .ionapi file."""
from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import auth
from .models import AuthorizedApp, Customer, Fault, GlBatch, Invoice, Order, PaymentBatch
from .orders import STEPS, OrderStepRefused, order_advance
from .state import app_default, ionapi_document, seed_ensure

LIMIT = 50


def index(request):
    seed_ensure()
    context = {
        "app": app_default(),
        "customers": Customer.objects.all()[:LIMIT],
        "orders": Order.objects.select_related("customer").prefetch_related("lines")[:LIMIT],
        "invoices": Invoice.objects.select_related("customer", "order")[:LIMIT],
        "payment_batches": PaymentBatch.objects.prefetch_related("lines__invoice")[:LIMIT],
        "gl_batches": GlBatch.objects.prefetch_related("lines")[:LIMIT],
        "faults": Fault.objects.filter(remaining__gt=0),
        "fault_kinds": Fault.Kind.choices,
        "actions": list(STEPS),
    }
    return render(request, "sandbox_infor/index.html", context)


def ionapi_download(request, app_id: int | None = None):
    seed_ensure()
    app = get_object_or_404(AuthorizedApp, pk=app_id) if app_id else app_default()
    root = request.build_absolute_uri("/sandbox/infor/")
    response = HttpResponse(json.dumps(ionapi_document(app, root_url=root), indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{app.tenant}.ionapi"'
    return response


@require_POST
def order_action(request, pk: int, action: str):
    order = get_object_or_404(Order, pk=pk)
    if action not in STEPS:
        messages.error(request, f"Unknown action {action}.")
    else:
        try:
            order_advance(order=order, action=action)
            messages.success(request, f"Order {order.orno}: {action} done.")
        except OrderStepRefused as exc:
            messages.error(request, str(exc))
    return redirect("sandbox-infor-index")


@require_POST
def fault_add(request):
    kind = request.POST.get("kind", "")
    try:
        count = max(1, int(request.POST.get("remaining") or 1))
        retry_after = max(0, int(request.POST.get("retry_after") or 1))
        latency_ms = max(0, int(request.POST.get("latency_ms") or 0))
    except ValueError:
        messages.error(request, "Count, Retry-After and latency must be whole numbers.")
        return redirect("sandbox-infor-index")
    if kind not in Fault.Kind.values:
        messages.error(request, "Choose a fault kind.")
    else:
        Fault.objects.create(kind=kind, remaining=count, retry_after=retry_after, latency_ms=latency_ms)
        messages.success(request, f"The next {count} M3 request(s) get: {Fault.Kind(kind).label}.")
    return redirect("sandbox-infor-index")


@require_POST
def faults_clear(request):
    Fault.objects.all().delete()
    messages.success(request, "All faults cleared.")
    return redirect("sandbox-infor-index")


@require_POST
def tokens_expire(request):
    auth.tokens_expire_all()
    messages.success(request, "Every access token issued so far is expired; the next call of each client gets 401.")
    return redirect("sandbox-infor-index")

"""What happens in the warehouse and in billing: the browser page's "pick", "ship" and
"invoice" buttons move an order's lines through M3's status codes (22 → 44 → 66 → 77)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from .models import Invoice, Order
from .state import change_stamp, series_next

# action → (statuses a line may have before it, status after it)
STEPS = {"pick": ({"22", "33"}, "44"), "ship": ({"22", "33", "44"}, "66"), "invoice": ({"66"}, "77")}


class OrderStepRefused(ValueError):
    pass


def order_advance(*, order: Order, action: str) -> Order:
    """Move every line that can take the step; refuse when none can (e.g. invoicing an unshipped order)."""
    before, after = STEPS[action]
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.stage != Order.Stage.CONFIRMED:
            raise OrderStepRefused(f"Order {order.temp_orno} is not confirmed yet.")
        lines = [line for line in order.lines.all() if line.orst in before]
        if not lines:
            raise OrderStepRefused(f"No line of order {order.orno} can be {action}ed now.")
        for line in lines:
            line.orst = after
            if action in ("ship", "invoice"):
                line.dlqt = line.orqt
            if action == "invoice":
                line.ivqt = line.orqt
            line.save()
        if action == "invoice":
            invoice_create(order=order, amount=sum((line.amount for line in lines), Decimal("0.00")))
        order.lmts = change_stamp()
        order.save(update_fields=["lmts"])
    return order


def invoice_create(*, order: Order, amount: Decimal) -> Invoice:
    today = date.today()
    terms = int(order.tepy) if order.tepy.isdigit() else 30
    return Invoice.objects.create(
        yea4=str(today.year), ivno=str(series_next("IVNO")), order=order, customer=order.customer,
        ivdt=today.strftime("%Y%m%d"), dudt=(today + timedelta(days=terms)).strftime("%Y%m%d"),
        cucd=order.cucd, pycd=order.pycd, amount=amount, jrno=str(series_next("JRNO")),
    )

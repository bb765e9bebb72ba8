"""OIS100MI (customer orders, batch entry) and OIS350MI (customer order invoices)."""
from __future__ import annotations

from decimal import Decimal

from ..models import Customer, Invoice, Item, Order, OrderLine
from ..state import change_stamp, code_exists, series_next
from .runtime import Context, MIError, Transaction, decimal_in, money, quantity, today


def _batch_order(temp_orno: str) -> Order:
    order = Order.objects.filter(temp_orno=temp_orno).first()
    if order is None:
        raise MIError(f"Order number {temp_orno} does not exist", code="XRE0103", field="ORNO")
    if order.stage != Order.Stage.BATCH:
        raise MIError(f"Order {temp_orno} is already confirmed as {order.orno}", code="OI10203", field="ORNO")
    return order


def order_get(orno: str) -> Order:
    order = Order.objects.filter(orno=orno, stage=Order.Stage.CONFIRMED).first()
    if order is None:
        raise MIError(f"Order number {orno} does not exist", code="XRE0103", field="ORNO")
    return order


def order_amount(order: Order) -> Decimal:
    return sum((line.amount for line in order.lines.all()), Decimal("0.00"))


def add_batch_head(ctx: Context, rec: dict) -> list[dict]:
    customer = Customer.objects.filter(cuno=rec["CUNO"]).first()
    if customer is None:
        raise MIError(f"Customer number {rec['CUNO']} does not exist", code="XIM0002", field="CUNO")
    if customer.stat != "20":
        raise MIError(f"Customer {customer.cuno} has status {customer.stat}; orders need status 20 (definite)",
                      code="OI10102", field="CUNO")
    if rec.get("PYCD") and not code_exists("PYCD", rec["PYCD"]):
        raise MIError(f"Payment method {rec['PYCD']} does not exist", code="WPY0203", field="PYCD")
    order = Order.objects.create(
        temp_orno=str(series_next("ORNO_TEMP")), customer=customer, cuor=rec.get("CUOR", ""),
        ortp=rec.get("ORTP") or "A01", whlo=rec.get("WHLO") or "001", cucd=(rec.get("CUCD") or customer.cucd).upper(),
        pycd=rec.get("PYCD") or customer.pycd, tepy=rec.get("TEPY") or customer.tepy, yref=rec.get("YREF", ""),
        ordt=rec.get("ORDT") or today(), lmts=change_stamp(),
    )
    return [{"ORNO": order.temp_orno}]


def add_batch_line(ctx: Context, rec: dict) -> list[dict]:
    order = _batch_order(rec["ORNO"])
    item = Item.objects.filter(itno=rec["ITNO"]).first()
    if item is None:
        raise MIError(f"Item number {rec['ITNO']} does not exist", code="WIT0103", field="ITNO")
    qty = decimal_in(rec, "ORQT")
    if qty <= 0:
        raise MIError("Ordered quantity must be greater than zero", code="WOR0101", field="ORQT")
    price = decimal_in(rec, "SAPR") if rec.get("SAPR") else item.sapr
    if price < 0:
        raise MIError("Sales price cannot be negative", code="WSA0101", field="SAPR")
    ponr = (order.lines.count() + 1) * 10
    discount = decimal_in(rec, "DIP1") if rec.get("DIP1") else Decimal(0)
    if not 0 <= discount <= 100:
        raise MIError("Discount percentage must be between 0 and 100", code="WDI0101", field="DIP1")
    OrderLine.objects.create(order=order, ponr=ponr, itno=item.itno, itds=rec.get("ITDS") or item.itds,
                             orqt=qty, sapr=price, dip1=discount, orst="05")
    return [{"PONR": str(ponr), "POSX": "0", "ATNR": "0"}]


def confirm(ctx: Context, rec: dict) -> list[dict]:
    order = _batch_order(rec["ORNO"])
    if not order.lines.exists():
        raise MIError(f"Order {order.temp_orno} has no lines and cannot be confirmed", code="OI10301", field="ORNO")
    order.orno, order.stage, order.lmts = str(series_next("ORNO")), Order.Stage.CONFIRMED, change_stamp()
    order.save()
    order.lines.update(orst="22")
    return [{"ORNO": order.orno, "STAT": "22"}]


def get_order_no(ctx: Context, rec: dict) -> list[dict]:
    order = Order.objects.filter(temp_orno=rec["ORNO"]).first()
    if order is None:
        raise MIError(f"Order number {rec['ORNO']} does not exist", code="XRE0103", field="ORNO")
    return [{"ORNO": order.temp_orno, "ORNR": order.orno}]


def head_record(order: Order) -> dict:
    orsl, orst = order.statuses()
    return {
        "ORNO": order.orno, "CUNO": order.customer.cuno, "CUOR": order.cuor, "ORTP": order.ortp, "ORDT": order.ordt,
        "WHLO": order.whlo, "CUCD": order.cucd, "PYCD": order.pycd, "TEPY": order.tepy, "YREF": order.yref,
        "ORSL": orsl, "ORST": orst, "NTAM": money(order_amount(order)), "LMTS": str(order.lmts),
    }


def get_head(ctx: Context, rec: dict) -> list[dict]:
    return [head_record(order_get(rec["ORNO"]))]


def lst_head(ctx: Context, rec: dict) -> list[dict]:
    orders = Order.objects.filter(customer__cuno=rec["CUNO"], stage=Order.Stage.CONFIRMED,
                                  orno__gte=rec.get("ORNO", "")).order_by("orno")  # from ORNO onwards
    return [head_record(order) for order in orders.select_related("customer")]


def lst_line(ctx: Context, rec: dict) -> list[dict]:
    order = order_get(rec["ORNO"])
    return [{"ORNO": order.orno, "PONR": str(line.ponr), "POSX": "0", "ITNO": line.itno, "ITDS": line.itds,
             "ORQT": quantity(line.orqt), "SAPR": money(line.sapr), "ORST": line.orst,
             "DLQT": quantity(line.dlqt), "IVQT": quantity(line.ivqt), "LNAM": money(line.amount),
             "DIP1": quantity(line.dip1)}
            for line in order.lines.all()]


def invoice_head(invoice: Invoice) -> dict:
    return {
        "CUNO": invoice.customer.cuno, "PYNO": invoice.customer.cuno, "ORNO": invoice.order.orno,
        "YEA4": invoice.yea4, "IVNO": invoice.ivno, "EXIN": f"{invoice.yea4}-{invoice.ivno}", "IVDT": invoice.ivdt,
        "DUDT": invoice.dudt, "CUCD": invoice.cucd, "PYCD": invoice.pycd, "IVAM": money(invoice.amount),
        "RAFC": money(invoice.remaining), "INST": "9" if invoice.reco == "9" else "1", "ACDT": invoice.ivdt,
        "VONO": invoice.jrno,
    }


def lst_inv_head_by_co(ctx: Context, rec: dict) -> list[dict]:
    order = order_get(rec["ORNO"])
    return [invoice_head(i) for i in order.invoices.select_related("customer", "order").order_by("ivno")]


def get_inv_head(ctx: Context, rec: dict) -> list[dict]:
    invoice = Invoice.objects.select_related("customer", "order").filter(yea4=rec["YEA4"], ivno=rec["IVNO"]).first()
    if invoice is None:
        raise MIError(f"Invoice {rec['YEA4']}/{rec['IVNO']} does not exist", code="XRE0103", field="IVNO")
    return [invoice_head(invoice)]


OIS100MI = {
    "AddBatchHead": Transaction(add_batch_head, {"CUNO": 10},
                                {"CONO": 3, "ORTP": 3, "FACI": 3, "WHLO": 3, "CUOR": 20, "RLDT": 10, "ORDT": 10,
                                 "CUCD": 3, "TEPY": 3, "PYCD": 3, "YREF": 30, "OREF": 10, "MODL": 3, "TEDL": 3}),
    "AddBatchLine": Transaction(add_batch_line, {"ORNO": 10, "ITNO": 15},
                                {"CONO": 3, "ORQT": 15, "SAPR": 18, "WHLO": 3, "DWDT": 10, "ALUN": 3, "ITDS": 30,
                                 "DIP1": 5}),
    "Confirm": Transaction(confirm, {"ORNO": 10}, {"CONO": 3, "CTYP": 1}),
    "GetOrderNo": Transaction(get_order_no, {"ORNO": 10}, {"CONO": 3}),
    "GetHead": Transaction(get_head, {"ORNO": 10}, {"CONO": 3}),
    "LstHead": Transaction(lst_head, {"CUNO": 10}, {"CONO": 3, "ORNO": 10}),
    "LstLine": Transaction(lst_line, {"ORNO": 10}, {"CONO": 3}),
}
OIS350MI = {
    "LstInvHeadByCo": Transaction(lst_inv_head_by_co, {"ORNO": 10}, {"CONO": 3, "DIVI": 3}),
    "GetInvHead": Transaction(get_inv_head, {"YEA4": 4, "IVNO": 15}, {"CONO": 3, "DIVI": 3}),
}

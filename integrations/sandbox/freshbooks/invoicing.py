"""Invoice arithmetic and the payment → invoice state rules, as FreshBooks' recordings show them.

- line amount = qty × unit_cost; discount_value is a percentage of the subtotal; line taxes
  (taxAmount1/2 are percentages) apply to the discounted line amount;
- amount = paid + outstanding; a payment beyond the outstanding balance becomes an
  overpayment credit (a credit note) and the payment carries its `overpaymentid`;
- fully paid: status 4 / v3 "paid" / payment_status "paid" / date_paid; partly paid:
  v3 "partial" / payment_status "partial"; unpaid: draft (1) until sent, then sent (2).
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from .formats import CENT, BadValue, decimal_of, eastern_date, int_of, money, money_amount, number_text
from .models import SimAccount, SimObject

HUNDRED = Decimal(100)


def _q(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """To the cent, by the account's ``money_rounding`` option (undocumented by FreshBooks)."""
    return value.quantize(CENT, rounding=rounding)


def lines_normalize(raw, *, currency: str, existing: list | None = None, replace: bool = True,
                    rounding: str = ROUND_HALF_UP) -> list[dict]:
    """Validate and store invoice lines; without ``replace`` lines with a known lineid are updated."""
    if not isinstance(raw, list) or not all(isinstance(line, dict) for line in raw):
        raise BadValue("'lines' must be a list of line objects.", 1004)
    current = {} if replace else {line["lineid"]: line for line in existing or []}
    next_id = max([0, *current]) + 1
    for position, line in enumerate(raw, start=1):
        lineid = line.get("lineid")
        base = dict(current.get(lineid, {})) if lineid in current else {}
        stored = {
            "lineid": base.get("lineid") or next_id,
            "name": str(line.get("name", base.get("name", "")) or ""),
            "description": str(line.get("description", base.get("description", "")) or ""),
            "qty": number_text(decimal_of(line.get("qty", base.get("qty", 1)), field=f"lines[{position}].qty")),
            "unit_cost": money(money_amount(line.get("unit_cost", base.get("unit_cost", 0)),
                                            field=f"lines[{position}].unit_cost"), currency),
            "type": int_of(line.get("type", base.get("type", 0)), field=f"lines[{position}].type"),
            "expenseid": int_of(line.get("expenseid", base.get("expenseid", 0)) or 0, field="expenseid"),
            "date": line.get("date", base.get("date")),
            "compounded_tax": bool(line.get("compounded_tax", base.get("compounded_tax", False))),
        }
        for n in ("1", "2"):
            name, rate = line.get(f"taxName{n}", base.get(f"taxName{n}")), line.get(f"taxAmount{n}", base.get(f"taxAmount{n}"))
            stored[f"taxName{n}"] = name or None
            stored[f"taxAmount{n}"] = number_text(decimal_of(rate, field=f"lines[{position}].taxAmount{n}")) if rate not in (None, "") else "0"
            stored[f"taxNumber{n}"] = line.get(f"taxNumber{n}", base.get(f"taxNumber{n}"))
        qty, unit = Decimal(stored["qty"]), Decimal(stored["unit_cost"]["amount"])
        stored["amount"] = money(_q(qty * unit, rounding), currency)
        if stored["lineid"] == next_id:
            next_id += 1
        current[stored["lineid"]] = stored
    return sorted(current.values(), key=lambda line: line["lineid"])


def invoice_totals(data: dict, rounding: str = ROUND_HALF_UP) -> tuple[Decimal, Decimal]:
    """(amount, discount_total) of the stored invoice data."""
    discount_rate = Decimal(str(data.get("discount_value") or "0")) / HUNDRED
    subtotal = tax = Decimal(0)
    for line in data.get("lines", []):
        line_amount = Decimal(line["amount"]["amount"])
        subtotal += line_amount
        rates = sum(Decimal(line.get(f"taxAmount{n}") or "0") for n in ("1", "2"))
        tax += line_amount * (1 - discount_rate) * rates / HUNDRED
    discount = _q(subtotal * discount_rate, rounding)
    return _q(subtotal - discount + tax, rounding), -discount


def invoice_number_next(account: SimAccount, taken: set[str]) -> str:
    """'0000001' → '0000002'; '000D' → '000E' (the documented increment), skipping numbers in use."""
    number = account.last_invoice_number or "0000000"
    while True:
        number = _increment(number)
        if number not in taken:
            return number


def _increment(number: str) -> str:
    digits = len(number) - len(number.rstrip("0123456789"))
    if digits:
        head, tail = number[:-digits], number[-digits:]
        return head + str(int(tail) + 1).zfill(len(tail))
    last = number[-1:]
    if last.isalpha() and last not in "zZ":
        return number[:-1] + chr(ord(last) + 1)
    return number + "1"


def invoice_prepare(account: SimAccount, data: dict, customer: dict | None) -> None:
    """Fill what FreshBooks derives on every write: customer copy, due date, money totals."""
    currency = data.get("currency_code") or account.currency_code
    data["currency_code"] = currency
    if customer is not None:
        for ours, theirs in (("fname", "fname"), ("lname", "lname"), ("organization", "organization"),
                             ("street", "p_street"), ("street2", "p_street2"), ("city", "p_city"),
                             ("province", "p_province"), ("country", "p_country"), ("code", "p_code")):
            data.setdefault(ours, customer.get(theirs, ""))
        data["current_organization"] = customer.get("organization", "")
    create = date.fromisoformat(data["create_date"]) if data.get("create_date") else timezone.now().date()
    data["create_date"] = create.isoformat()
    data["due_date"] = (create + timedelta(days=int(data.get("due_offset_days") or 0))).isoformat()
    amount, discount = invoice_totals(data, account.option("money_rounding"))
    data["amount"], data["discount_total"] = money(amount, currency), money(discount, currency)


def invoice_settle(invoice: SimObject, payments: list[SimObject]) -> dict[int, Decimal]:
    """Apply the invoice's active payments in order; set its paid/outstanding/status fields.

    Returns {payment id: amount beyond the balance} for payments that overpaid.
    """
    data, currency = invoice.data, invoice.data.get("currency_code", "USD")
    amount = Decimal(data["amount"]["amount"])
    paid, excess, last_date = Decimal(0), {}, None
    for payment in sorted(payments, key=lambda p: p.pk):
        value = Decimal(payment.data["amount"]["amount"])
        applied = max(Decimal(0), min(value, amount - paid))
        paid += applied
        if value > applied:
            excess[payment.pk] = value - applied
        last_date = payment.data.get("date") or last_date
    data["paid"], data["outstanding"] = money(paid, currency), money(amount - paid, currency)
    data["net_paid_amount"] = money(paid, currency)
    if payments:
        data["sent"] = True  # recording a payment means the invoice went out
    sent, viewed = bool(data.get("sent")), bool(data.get("viewed"))
    if amount > 0 and paid >= amount:
        status, v3, payment_status, data["date_paid"] = 4, "paid", "paid", last_date
    elif paid > 0:
        status, v3, payment_status, data["date_paid"] = (3 if viewed else 2), "partial", "partial", None
    else:
        data["date_paid"] = None
        payment_status = "unpaid"
        if not sent:
            status, v3 = 1, "draft"
        else:
            status = 3 if viewed else 2
            overdue = data.get("due_date") and data["due_date"] < eastern_date(timezone.now()).isoformat()
            v3 = "overdue" if overdue else ("viewed" if viewed else "sent")
    data["status"], data["v3_status"], data["payment_status"] = status, v3, payment_status
    data["display_status"] = "draft" if not sent else ("viewed" if viewed else "sent")
    return excess


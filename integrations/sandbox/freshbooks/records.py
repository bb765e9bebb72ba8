"""Accounting records: validate and store writes, render reads, and announce changes.

Update "phases" (API reference §2.7): a PUT carrying ``vis_state`` (or ``ext_vis_state``, or
an action such as ``action_mark_as_sent``) applies only that phase and silently drops the
rest of the data; precedence ext_vis_state > vis_state > actions > regular data.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .deliveries import event_emit
from .faults import fault_consume
from .formats import bool_of, date_of, decimal_of, eastern, int_of, money, money_amount, number_text, utc_plain
from .invoicing import invoice_number_next, invoice_prepare, invoice_settle, lines_normalize
from .kinds import CREDIT_NOTE, KINDS, Kind, B, D, I, J, M, N, S
from .models import SimAccount, SimObject, SimUser
from .protocol import ApiFailure, accounting_error


def _fail(status: int, errno: int, message: str, *, kind: Kind, field=None, value="") -> ApiFailure:
    return ApiFailure(accounting_error(status, errno, message, field=field, obj=kind.name, value=value))


# -- reads --------------------------------------------------------------------------------------
def record_render(obj: SimObject, *, includes: tuple[str, ...] | list[str] = ()) -> dict:
    kind = KINDS[obj.kind]
    out = {**kind.defaults, **{k: v for k, v in obj.data.items() if k not in ("sent", "viewed")}}
    for name in kind.id_fields:
        out[name] = obj.pk
    for name in ("accounting_systemid", "accountid"):
        if name in kind.defaults:
            out[name] = obj.account.account_id
    if kind.has_vis_state:
        out["vis_state"] = obj.vis_state
    if "updated" in kind.defaults:
        out["updated"] = eastern(obj.updated_at)
    if kind.name == "client":
        out["signup_date"] = utc_plain(obj.created_at)  # the documented UTC exception
    elif kind.name == "invoice":
        out["created_at"] = eastern(obj.created_at)
        out["version"] = obj.updated_at.astimezone(timezone.get_fixed_timezone(-300)).strftime("%Y-%m-%d %H:%M:%S.%f")
        lines = out.pop("lines", [])
        if "lines" in includes:
            out["lines"] = [{**line, "invoiceid": obj.pk, "updated": eastern(obj.updated_at)} for line in lines]
    elif kind.name == "expense":
        out["version"] = obj.updated_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    elif kind.name == "category":
        out["created_at"], out["updated_at"] = eastern(obj.created_at), eastern(obj.updated_at)
    if kind.name == "client":
        out.update(_client_balances(obj, includes))
    return out


def _client_balances(client: SimObject, includes) -> dict:
    wanted = {"outstanding_balance", "draft_balance", "credit_balance"} & set(includes)
    if not wanted:
        return {}
    totals = {name: {} for name in wanted}
    for invoice in SimObject.objects.filter(account=client.account, kind="invoice", vis_state=0,
                                            data__customerid=client.pk):
        code = invoice.data.get("currency_code", "USD")
        bucket = "draft_balance" if invoice.data.get("status") == 1 else "outstanding_balance"
        if bucket in totals:
            totals[bucket][code] = totals[bucket].get(code, Decimal(0)) + Decimal(invoice.data["outstanding"]["amount"])
    if "credit_balance" in totals:
        for credit in SimObject.objects.filter(account=client.account, kind="credit_note", vis_state=0,
                                               data__clientid=client.pk):
            code = credit.data["amount"]["code"]
            totals["credit_balance"][code] = totals["credit_balance"].get(code, Decimal(0)) + Decimal(credit.data["amount"]["amount"])
    return {name: [{"amount": money(v, code)} for code, v in sorted(by_code.items())] for name, by_code in totals.items()}


# -- coercion -----------------------------------------------------------------------------------
def _coerce(kind: Kind, values: dict, currency: str) -> dict:
    """Known writable fields, typed; unknown keys are ignored, as FreshBooks does."""
    clean = {}
    for name, value in values.items():
        typ = kind.writable.get(name)
        if typ is None:
            continue
        if value is None and typ not in (M,):
            clean[name] = None
        elif typ == S:
            clean[name] = str(value)
        elif typ == I:
            clean[name] = int_of(value, field=name)
        elif typ == D:
            clean[name] = date_of(value, field=name)
        elif typ == B:
            clean[name] = bool_of(value, field=name)
        elif typ == N:
            clean[name] = number_text(decimal_of(value, field=name))
        elif typ == M:
            code = value.get("code") if isinstance(value, dict) and value.get("code") else currency
            clean[name] = None if value is None else money(money_amount(value, field=name), code)
        elif typ == J:
            clean[name] = value
    return clean


def _currency(account: SimAccount, values: dict) -> str:
    return str(values.get("currency_code") or account.currency_code)


# -- writes -------------------------------------------------------------------------------------
def record_create(*, account: SimAccount, kind: Kind, values: dict, actor: SimUser) -> SimObject:
    if kind.read_only:
        raise _fail(405, 1003, f"{kind.plural.replace('_', ' ').capitalize()} cannot be created through the API.", kind=kind)
    if kind.name == "credit_note" and not account.option("credit_notes_writable"):
        raise _fail(405, 1003, "Credit notes cannot be created through the API.", kind=kind)
    if kind.name == "invoice" and not values.get("invoice_number") and fault_consume(account, "fault_409_remaining"):
        raise _fail(409, 409, "The invoice number was taken by a concurrent request; retrying will succeed.",
                    kind=kind, field="invoice_number")
    with transaction.atomic():
        account = SimAccount.objects.select_for_update().get(pk=account.pk)
        data = _coerce(kind, values, _currency(account, values))
        _check_create(account, kind, data)
        obj = SimObject(account=account, kind=kind.name, data=data)
        _before_save(account, kind, obj, values, created=True)
        obj.save()
        _after_save(account, kind, obj, actor, verb="create")
    return obj


def record_update(*, account: SimAccount, kind: Kind, obj: SimObject, values: dict, actor: SimUser) -> SimObject:
    if kind.read_only:
        raise _fail(405, 1003, f"{kind.plural.replace('_', ' ').capitalize()} cannot be changed through the API.", kind=kind)
    with transaction.atomic():
        account = SimAccount.objects.select_for_update().get(pk=account.pk)
        obj = SimObject.objects.select_for_update().get(pk=obj.pk)
        if "ext_vis_state" in values:
            return obj  # the archive phase of external systems: accepted, nothing else applied
        if "vis_state" in values and kind.has_vis_state:
            state = int_of(values["vis_state"], field="vis_state")
            if state not in (0, 1, 2):
                raise _fail(422, 1004, "'vis_state' must be 0 (active), 1 (deleted) or 2 (archived).",
                            kind=kind, field="vis_state", value=state)
            verb = "delete" if state == 1 and obj.vis_state != 1 else "update"
            obj.vis_state = state
            _touch_and_save(account, kind, obj, actor, verb=verb)
            return obj
        if kind.name == "invoice" and _invoice_action(obj, values):
            _touch_and_save(account, kind, obj, actor, verb="update",
                            extra_event="invoice.sendByEmail" if values.get("action_email") else None)
            return obj
        data = _coerce(kind, values, obj.data.get("currency_code") or account.currency_code)
        if kind.name == "payment":
            data.pop("invoiceid", None)  # a payment's invoice is set on create only
        if kind.name == "invoice" and "lines" in data:
            data["lines"] = lines_normalize(
                data["lines"], currency=obj.data.get("currency_code", account.currency_code),
                existing=obj.data.get("lines"), replace=account.option("invoice_lines_replace_on_update"),
                rounding=account.option("money_rounding"))
        obj.data = {**obj.data, **data}
        _before_save(account, kind, obj, values, created=False)
        _touch_and_save(account, kind, obj, actor, verb="update")
    return obj


def record_delete(*, account: SimAccount, kind: Kind, obj: SimObject, actor: SimUser) -> None:
    """HTTP DELETE: taxes disappear; invoices are soft-deleted (the same as PUT vis_state=1)."""
    with transaction.atomic():
        account = SimAccount.objects.select_for_update().get(pk=account.pk)
        if kind.has_vis_state:
            obj.vis_state = 1
            _touch_and_save(account, kind, obj, actor, verb="delete")
        else:
            object_id = obj.pk
            obj.delete()
            event_emit(account=account, name=f"{kind.name}.delete", object_id=object_id, actor=actor)


def _invoice_action(obj: SimObject, values: dict) -> bool:
    """The invoice action phase; returns True when an action was applied."""
    if values.get("action_mark_as_sent") or values.get("action_email") or str(values.get("status")) == "2":
        obj.data["sent"] = True
        if values.get("action_email"):
            obj.data["email_recipients"] = values.get("email_recipients") or []
        return True
    return False


def _check_create(account: SimAccount, kind: Kind, data: dict) -> None:
    if kind.name == "client":
        if not any(data.get(f) for f in ("fname", "lname", "email", "organization")):
            raise _fail(422, 7012, "At least one field among fname, lname, email and organization is required.", kind=kind)
        if data.get("email") and not data.get("organization") and not (data.get("fname") or data.get("lname")):
            data["organization"] = data["email"]
        return
    required = {
        "invoice": account.option("invoice_required_fields"),
        "payment": ["invoiceid", "amount", "date"],
        "credit_note": ["clientid", "create_date", "lines"],
        "expense": account.option("expense_required_fields"),
        "item": ["name"],
        "tax": ["name"],
    }.get(kind.name, [])
    for name in required:
        if data.get(name) in (None, ""):
            raise _fail(422, 1001, f"'{name}' is required.", kind=kind, field=name)


def _reference(account: SimAccount, kind_name: str, object_id, *, owner: Kind, field: str) -> SimObject:
    found = SimObject.objects.filter(account=account, kind=kind_name, pk=object_id).exclude(vis_state=1).first()
    if found is None:
        raise _fail(422, 1012, f"{kind_name.replace('_', ' ').capitalize()} not found.", kind=owner, field=field, value=object_id)
    return found


def _before_save(account: SimAccount, kind: Kind, obj: SimObject, raw: dict, *, created: bool) -> None:
    data = obj.data
    if kind.name == "client":
        data.setdefault("uuid", str(uuid.uuid4()))
    elif kind.name == "invoice":
        customer = _reference(account, "client", data.get("customerid"), owner=kind, field="customerid")
        if created:
            data["lines"] = lines_normalize(data.get("lines") or [], currency=_currency(account, {**customer.data, **data}),
                                            rounding=account.option("money_rounding"))
            data.setdefault("currency_code", customer.data.get("currency_code") or account.currency_code)
            data["uuid"] = str(uuid.uuid4())
            _invoice_number(account, data)
        invoice_prepare(account, data, customer.data if created else None)
        invoice_settle(obj, _payments_of(obj) if obj.pk else [])
    elif kind.name == "credit_note" and (created or data.get("lines")):  # overpayment credits carry no lines
        customer = _reference(account, "client", data.get("clientid"), owner=kind, field="clientid")
        currency = _currency(account, {**customer.data, **data})
        if created or "lines" in raw:
            data["lines"] = lines_normalize(data.get("lines") or [], currency=currency)
        if created:
            data["currency_code"], data["credit_type"] = currency, "credit"
            data["credit_number"] = data.get("credit_number") or f"CN{obj.pk or ''}{uuid.uuid4().hex[:6].upper()}"
        total = sum((Decimal(line["amount"]["amount"]) for line in data["lines"]), Decimal(0))
        if total <= 0:
            raise _fail(422, 1028, "A credit note's lines must come to more than zero.", kind=kind, field="lines")
        data["amount"] = money(total, currency)
    elif kind.name == "payment":
        invoice = _reference(account, "invoice", data.get("invoiceid"), owner=kind, field="invoiceid")
        data["clientid"] = invoice.data.get("customerid")
        data["amount"] = money(data["amount"]["amount"], invoice.data.get("currency_code", account.currency_code))
        if data["amount"]["amount"].startswith("-") or Decimal(data["amount"]["amount"]) == 0:
            raise _fail(422, 1028, "'amount' must be greater than zero.", kind=kind, field="amount", value=data["amount"]["amount"])
    elif kind.name == "expense":
        if data.get("categoryid"):
            _reference(account, "category", data["categoryid"], owner=kind, field="categoryid")
        data["status"] = 1 if data.get("clientid") else data.get("status", 0)


def _invoice_number(account: SimAccount, data: dict) -> None:
    if data.get("invoice_number"):
        return
    data["invoice_number"] = invoice_number_next(account, _TakenNumbers(account))
    account.last_invoice_number = data["invoice_number"]
    account.save(update_fields=["last_invoice_number"])


class _TakenNumbers:
    """Invoice numbers in use, asked one candidate at a time (an account with 10,000 invoices must
    not read them all for every new one)."""

    def __init__(self, account: SimAccount):
        self.account = account

    def __contains__(self, number: str) -> bool:
        return SimObject.objects.filter(account=self.account, kind="invoice", data__invoice_number=number).exists()


def _payments_of(invoice: SimObject) -> list[SimObject]:
    return list(SimObject.objects.filter(account=invoice.account, kind="payment", vis_state=0, data__invoiceid=invoice.pk))


def _touch_and_save(account, kind, obj, actor, *, verb: str, extra_event: str | None = None) -> None:
    if kind.name == "invoice":
        invoice_settle(obj, _payments_of(obj))
    obj.updated_at = timezone.now()
    obj.save()
    _after_save(account, kind, obj, actor, verb=verb)
    if extra_event:
        event_emit(account=account, name=extra_event, object_id=obj.pk, actor=actor)


def _after_save(account: SimAccount, kind: Kind, obj: SimObject, actor: SimUser, *, verb: str) -> None:
    if kind.events:
        event_emit(account=account, name=f"{kind.name}.{verb}", object_id=obj.pk, actor=actor)
    if kind.name == "payment":
        _payment_effects(account, obj, actor)


def _payment_effects(account: SimAccount, payment: SimObject, actor: SimUser) -> None:
    """Re-settle the payment's invoice and keep overpayment credits in step."""
    invoice = SimObject.objects.select_for_update().get(pk=payment.data["invoiceid"])
    payments = _payments_of(invoice)
    excess = invoice_settle(invoice, payments)
    invoice.updated_at = timezone.now()
    invoice.save()
    for each in payments + ([payment] if payment.vis_state else []):
        _overpayment_credit_sync(account, invoice, each, excess.get(each.pk) if each.vis_state == 0 else None, actor)
    # The sync above wrote overpaymentid to the stored row; the reply is rendered from this
    # object, and the real create reply already carries it.
    payment.refresh_from_db(fields=["data"])
    if account.option("payment_emits_invoice_update"):
        event_emit(account=account, name="invoice.update", object_id=invoice.pk, actor=actor)


def _overpayment_credit_sync(account, invoice, payment, excess: Decimal | None, actor) -> None:
    credit_id = payment.data.get("overpaymentid")
    credit = SimObject.objects.filter(pk=credit_id, kind="credit_note").first() if credit_id else None
    if excess:
        code = payment.data["amount"]["code"]
        values = {"amount": money(excess, code), "clientid": payment.data.get("clientid"), "currency_code": code,
                  "create_date": payment.data.get("date"), "credit_type": "overpayment",
                  "description": f"Overpayment: invoice #{invoice.data.get('invoice_number')}"}
        if credit is None:
            credit = SimObject.objects.create(account=account, kind=CREDIT_NOTE.name, data=values)
            event_emit(account=account, name="credit_note.create", object_id=credit.pk, actor=actor)
        else:
            credit.data, credit.vis_state, credit.updated_at = {**credit.data, **values}, 0, timezone.now()
            credit.save()
        if payment.data.get("overpaymentid") != credit.pk:
            payment.data["overpaymentid"] = credit.pk
            SimObject.objects.filter(pk=payment.pk).update(data=payment.data)
    elif credit is not None and credit.vis_state == 0:
        credit.vis_state, credit.updated_at = 1, timezone.now()
        credit.save()
        event_emit(account=account, name="credit_note.delete", object_id=credit.pk, actor=actor)

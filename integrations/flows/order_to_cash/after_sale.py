"""After the sale: a shop refund or cancellation reaches the FreshBooks invoice and the Infor order.

The chain's ``after_sale`` step runs when a delivery of the order carries refunds or a
cancellation. Nothing is deleted:

- **Refund** → a FreshBooks credit note for the refunded amount, for the invoice's client and in
  its currency, naming the invoice and the shop refund (``refund_document`` = ``credit_note``,
  the default). The API reference lists credit notes (``credit_notes/credit_notes``) but not how
  one is created, so the body is Ledgerlink's assumption (see connectors/freshbooks/resources.py);
  ``refund_document`` = ``finding`` asks finance instead. Which refunds were credited is kept on
  the invoice's binding (``credit_notes`` {refund id: credit note id}), so a replay credits nothing twice.
  The Infor side (``infor_refund``): the reference documents no M3 credit or return transaction,
  so the default ``finding`` asks finance to credit the M3 order; ``none`` leaves M3 alone.
- **Cancellation before fulfilment** (neither the shop nor M3 shipped it): the draft invoice is
  voided — its notes say so and it is archived (vis_state 2; ``cancelled_invoice_action`` =
  ``archive``, or ``none``); a sent or paid invoice is finance's and becomes a finding. The M3
  order, not yet delivered, is cancelled by the transaction named in ``infor_cancel_transaction``
  (e.g. ``OIS100MI/DltHead`` where the tenant has one); the reference documents none, so by
  default a finding asks finance to cancel it in M3.
- **Cancellation after fulfilment** → a finding for finance; nothing is changed.
"""
from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from integrations.connectors.shop.order import ShopOrder
from integrations.errors import FatalError
from integrations.flows.order_to_cash.invoice_total import order_conversion
from integrations.flows.toolkit.bindings import binding_extra_update, binding_find
from monitoring.findings import Found, findings_sync

AFTER_SALE_CHECK = "shop-order-after-sale"
DELIVERED = 66  # M3 line status: delivered


def after_sale_wanted(order: dict) -> bool:
    return bool(order.get("refunds")) or bool(order.get("cancelled"))


def _finding(flow, order: ShopOrder, variant: str, title: str, explanation: str, **details) -> None:
    findings_sync(check_name=AFTER_SALE_CHECK, examined=None, found=[Found(
        subject=f"{flow.source_connection_id}:{order.id}", variant=variant, title=title[:300],
        explanation=explanation, details={"order_id": order.id, "order_number": order.number, **details},
        flow_id=flow.pk)])


class AfterSale:
    """What one run of the step does; ``step`` is the chain step (its settings and connectors)."""

    def __init__(self, step, order: ShopOrder, invoice_id: str, m3_order: str | None):
        self.step, self.order, self.invoice_id, self.m3_order = step, order, invoice_id, m3_order
        self.flow, self.fb = step.flow, step.fb
        self.binding = binding_find(connection=step.freshbooks_connection.pk, object_type="invoice",
                                    external_id=invoice_id)

    @property
    def done(self) -> dict:
        return dict((self.binding.extra or {}) if self.binding else {})

    def apply(self) -> dict:
        invoice = self.fb.invoices.get(self.invoice_id, include=())
        summary = {"credit_notes": [], "cancelled": ""}
        for refund_id, amount, currency, note in self.refund_amounts(invoice):
            summary["credit_notes"].append(self.refund_apply(invoice, refund_id, amount, currency, note))
        if self.order.cancelled and not self.done.get("cancellation"):
            summary["cancelled"] = self.cancellation_apply(invoice)
            binding_extra_update(binding=self.binding, cancellation=summary["cancelled"])
        return summary

    # -- refunds ------------------------------------------------------------------------------
    def refund_amounts(self, invoice: dict) -> list[tuple[str, Decimal, str, str]]:
        """Each refund in the invoice's currency (the same choice and conversion as the invoice lines)."""
        order, rate, currency = order_conversion(self.order.to_payload(), currency_from=self.step.setting(
            "invoice_currency"), convert_to=self.step.setting("convert_to_currency"))
        code = invoice.get("currency_code") or currency
        return [(refund.id, (refund.amount * rate).quantize(Decimal("0.01")), code, refund.note)
                for refund in order.refunds if refund.amount > 0]

    def refund_apply(self, invoice: dict, refund_id: str, amount: Decimal, currency: str, note: str) -> str:
        credited = dict(self.done.get("credit_notes") or {})
        if refund_id in credited:
            return credited[refund_id]
        if self.step.setting("refund_document") == "finding":
            credit_id = "finding"
            _finding(self.flow, self.order, f"refund-{refund_id}", f"Order {self.order.number}: refund of "
                     f"{amount} {currency} to credit", f"The shop refunded {amount} {currency} (refund {refund_id}). "
                     f"Credit FreshBooks invoice {invoice.get('invoice_number')} by hand (flow setting "
                     "refund_document is 'finding').", refund_id=refund_id, amount=str(amount))
        else:
            credit_id = self.credit_note_find(invoice, refund_id) or self.credit_note_create(
                invoice, refund_id, amount, currency, note)
        if self.step.setting("infor_refund") == "finding" and self.m3_order:
            _finding(self.flow, self.order, f"infor-refund-{refund_id}",
                     f"Order {self.order.number}: credit Infor order {self.m3_order} by {amount} {currency}",
                     f"The shop refunded {amount} {currency} (refund {refund_id}); FreshBooks has credit note "
                     f"{credit_id}. The Infor M3 API reference documents no credit or return transaction, so "
                     f"credit M3 order {self.m3_order} in M3.", refund_id=refund_id, m3_order=self.m3_order)
        credited[refund_id] = credit_id
        binding_extra_update(binding=self.binding, credit_notes=credited)
        return credit_id

    def description(self, invoice: dict, refund_id: str) -> str:
        return (f"Refund {refund_id} of shop order {self.order.number}, invoice "
                f"{invoice.get('invoice_number') or self.invoice_id}")

    def credit_note_find(self, invoice: dict, refund_id: str) -> str | None:
        """A credit note an earlier try made before it crashed (same client, same description)."""
        wanted = self.description(invoice, refund_id)
        for credit in self.fb.credit_notes.iterate(include=()):
            if str(credit.get("clientid")) == str(invoice.get("customerid")) and credit.get("description") == wanted:
                return str(credit["id"])
        return None

    def credit_note_create(self, invoice: dict, refund_id: str, amount: Decimal, currency: str, note: str) -> str:
        created = self.fb.credit_notes.create({
            "clientid": invoice["customerid"], "create_date": timezone.now().date().isoformat(),
            "currency_code": currency, "description": self.description(invoice, refund_id), "notes": note,
            "lines": [{"name": f"Refund of order {self.order.number}", "description": note, "qty": "1",
                       "unit_cost": {"amount": format(amount, "f"), "code": currency}}],
        })
        return str(created["id"])

    # -- cancellation -------------------------------------------------------------------------
    def m3_status(self) -> dict | None:
        return self.step.infor.get_order_status(order_number=self.m3_order) if self.m3_order else None

    def cancellation_apply(self, invoice: dict) -> str:
        status = self.m3_status()
        shipped = self.order.fulfilled or bool(status and (status["delivered"]
                                                           or int(status["highest_status"] or 0) >= DELIVERED))
        number = self.order.number
        if shipped:
            _finding(self.flow, self.order, "cancelled-after-fulfilment",
                     f"Order {number} was cancelled after it was shipped",
                     f"The shop cancelled order {number} ({self.order.cancel_reason or 'no reason given'}) after "
                     f"fulfilment. FreshBooks invoice {invoice.get('invoice_number')} and Infor order "
                     f"{self.m3_order or '(none)'} are left as they are: decide the return and credit.",
                     invoice_id=self.invoice_id, m3_order=self.m3_order or "")
            return "finding: shipped"
        return f"{self.invoice_void(invoice)}; {self.m3_cancel()}"

    def invoice_void(self, invoice: dict) -> str:
        if self.step.setting("cancelled_invoice_action") == "none":
            return "invoice left (setting)"
        if invoice.get("v3_status", "draft") != "draft":
            _finding(self.flow, self.order, "cancelled-invoice-sent",
                     f"Order {self.order.number} was cancelled but its invoice was already {invoice.get('v3_status')}",
                     f"FreshBooks invoice {invoice.get('invoice_number')} is {invoice.get('v3_status')}, so it is not "
                     "voided automatically: credit or adjust it.", invoice_id=self.invoice_id)
            return "finding: invoice not draft"
        stamp = self.order.cancelled_at or timezone.now().isoformat()
        notes = "\n".join(p for p in (invoice.get("notes") or "", f"VOID: order {self.order.number} was cancelled "
                                      f"in the shop ({stamp}).") if p)
        self.fb.invoices.update(self.invoice_id, {"notes": notes})
        self.fb.invoices.update(self.invoice_id, {"vis_state": 2})  # archived: kept, out of the active lists
        return "invoice voided (archived)"

    def m3_cancel(self) -> str:
        if not self.m3_order:
            return "no Infor order"
        transaction = (self.step.setting("infor_cancel_transaction") or "").strip()
        if transaction:
            program, _, name = transaction.partition("/")
            if not (program and name):
                raise FatalError(f"Flow setting infor_cancel_transaction '{transaction}' must read PROGRAM/TRANSACTION.")
            self.step.infor.cancel_sales_order(order_number=self.m3_order, transaction=transaction)
            return f"Infor order cancelled ({transaction})"
        _finding(self.flow, self.order, "infor-cancel",
                 f"Order {self.order.number}: cancel Infor order {self.m3_order}",
                 f"The shop cancelled order {self.order.number} before it was shipped and its invoice was voided. "
                 f"The Infor M3 API reference documents no transaction to cancel a sales order, so cancel M3 order "
                 f"{self.m3_order} in M3 (or name the tenant's transaction in the flow setting "
                 "infor_cancel_transaction).", m3_order=self.m3_order)
        return "finding: cancel the Infor order"

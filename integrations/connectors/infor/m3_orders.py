"""M3 customer orders and their invoices: OIS100MI batch entry and status, OIS350MI, ARS200MI."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.connectors.infor.m3 import M3BusinessError, m3_date, m3_decimal
from integrations.errors import FatalError


def status_from_head(head: dict, delivered: str, invoiced: str) -> dict:
    lowest, highest = (head.get("ORSL") or "").strip(), (head.get("ORST") or "").strip()
    return {
        "order_number": (head.get("ORNO") or "").strip(), "lowest_status": lowest, "highest_status": highest,
        "delivered": lowest >= delivered, "partly_delivered": highest >= delivered, "invoiced": lowest >= invoiced,
        "customer_number": (head.get("CUNO") or "").strip(), "order_reference": (head.get("CUOR") or "").strip(),
        "currency": (head.get("CUCD") or "").strip(), "net_amount": m3_decimal(head.get("NTAM")),
    }


class OrderOperations:
    """Mixin of M3Adapter (needs self.m3, self.m3_list, self.setting)."""

    def find_sales_order(self, *, customer_number: str, order_reference: str) -> dict | None:
        """The confirmed order of this customer carrying ``order_reference`` in CUOR, or None."""
        for head in self.m3_list("OIS100MI", "LstHead", {"CUNO": customer_number}, start={"ORNO": "ORNO"},
                                 key=("ORNO",)):
            if (head.get("CUOR") or "").strip() == order_reference:
                return self._status(head)
        return None

    def create_sales_order(self, *, order_reference: str, customer_number: str, lines: list[dict],
                           currency: str | None = None, order_type: str | None = None,
                           warehouse: str | None = None, payment_method: str | None = None,
                           payment_terms: str | None = None, order_date: date | None = None,
                           your_reference: str = "", batch: dict | None = None) -> dict:
        """Batch entry (AddBatchHead → AddBatchLine × n → Confirm), found by CUOR first.

        A line M3 refuses leaves an unconfirmed batch order (a temporary ORNO) holding the lines
        it took. M3 lists only confirmed orders (LstHead), so the error carries that batch in its
        ``detail["batch_order"]`` ({"orno", "lines": {position: [item, quantity]}}); the caller
        keeps it and passes it back as ``batch`` on the next try, which adds only the missing
        lines to that batch and confirms it: the half-made batch is completed, never left behind
        beside a second one."""
        if not order_reference:
            raise FatalError("A sales order needs a reference (the customer order number) so it is never "
                             "created twice.", field="CUOR")
        if not lines:
            raise FatalError(f"Order {order_reference} has no lines to send to Infor M3.")
        existing = self.find_sales_order(customer_number=customer_number, order_reference=order_reference)
        if existing:
            return {"order_number": existing["order_number"], "created": False, "status": existing}
        temp_orno, taken = self._batch_resumable(batch, order_reference, lines)
        if temp_orno is None:
            head = self.m3.execute("OIS100MI", "AddBatchHead", {
                "CUNO": customer_number, "CUOR": order_reference, "CUCD": currency, "PYCD": payment_method,
                "TEPY": payment_terms, "ORTP": order_type or self.setting("m3_order_type") or None,
                "WHLO": warehouse or self.setting("m3_warehouse") or None, "ORDT": order_date,
                "YREF": your_reference or None,
            })
            temp_orno, taken = head[0]["ORNO"].strip(), {}
        missing = [(n, line) for n, line in enumerate(lines, start=1) if str(n) not in taken]
        bulk = self.m3.execute_bulk("OIS100MI", [("AddBatchLine", {
            "ORNO": temp_orno, "ITNO": line["item_number"], "ORQT": line["quantity"],
            "SAPR": line.get("unit_price"), "ITDS": line.get("description") or None,
            "DIP1": line.get("discount_percent") or None,
        }) for _, line in missing])
        for (n, line), result in zip(missing, bulk.results):
            if result.ok:
                taken[str(n)] = _line_key(line)
        failures = [(n, r) for (n, _), r in zip(missing, bulk.results) if not r.ok]
        if failures or bulk.was_terminated or len(bulk.results) != len(missing):
            raise self._lines_error(order_reference, failures, bulk, batch={"orno": temp_orno, "lines": taken})
        confirmed = self.m3.execute("OIS100MI", "Confirm", {"ORNO": temp_orno})
        order_number = confirmed[0]["ORNO"].strip()
        created = {"order_number": order_number, "created": True,
                   "status": self.get_order_status(order_number=order_number)}
        if batch is not None and temp_orno == batch.get("orno"):
            created.update(batch_order=temp_orno, resumed=True)  # an earlier try's batch, completed
        return created

    def _batch_resumable(self, batch: dict | None, order_reference: str, lines: list[dict]) -> tuple[str | None, dict]:
        """(temporary ORNO, lines it holds) of a half-made batch to complete, or (None, {})."""
        if not batch or not batch.get("orno"):
            return None, {}
        taken = {str(k): list(v) for k, v in (batch.get("lines") or {}).items()}
        try:
            state = self.m3.execute("OIS100MI", "GetOrderNo", {"ORNO": batch["orno"]})[0]
        except M3BusinessError:
            return None, {}  # deleted in M3 meanwhile: start again
        if (state.get("ORNR") or "").strip():
            raise FatalError(f"Batch order {batch['orno']} of order {order_reference} was confirmed in Infor M3 as "
                             f"order {state['ORNR'].strip()} outside Ledgerlink; check it there.", field="ORNO")
        changed = [n for n, key in taken.items()
                   if int(n) > len(lines) or _line_key(lines[int(n) - 1]) != key]
        if changed:
            raise FatalError(
                f"The unconfirmed batch order {batch['orno']} in Infor M3 already holds line(s) "
                f"{', '.join(sorted(changed, key=int))} of order {order_reference}, which differ from the order now. "
                f"Delete batch order {batch['orno']} in M3 (Customer Order. Open, OIS100), then replay.", field="ORNO")
        return batch["orno"], taken

    @staticmethod
    def _lines_error(order_reference: str, failures, bulk, *, batch: dict) -> FatalError:
        kept = (f" The unconfirmed batch order {batch['orno']} in Infor M3 keeps the lines it took; a replay "
                "adds the rest to it and confirms it (no second order is made).")
        if not failures:
            return FatalError(f"Infor M3 did not add every line of order {order_reference}: "
                              f"{bulk.termination_reason or 'the bulk request stopped early'}.{kept}",
                              detail={"batch_order": batch})
        number, first = failures[0]
        error = first.error("OIS100MI")
        more = f" ({len(failures) - 1} more line(s) failed too)" if len(failures) > 1 else ""
        return type(error)(f"Line {number} of order {order_reference}: {error.message}{more}.{kept}", code=error.code,
                           m3_field=error.m3_field, error_type=error.error_type,
                           detail={"m3": error.detail, "batch_order": batch})

    def _status(self, head: dict) -> dict:
        return status_from_head(head, self.setting("m3_delivered_status"), self.setting("m3_invoiced_status"))

    def cancel_sales_order(self, *, order_number: str, transaction: str) -> None:
        program, _, name = transaction.partition("/")
        self.m3.execute(program, name, {"ORNO": order_number})

    def get_order_status(self, *, order_number: str) -> dict:
        return self._status(self.m3.execute("OIS100MI", "GetHead", {"ORNO": order_number})[0])

    def list_invoices(self, *, order_number: str) -> list[dict]:
        return [{
            "invoice_number": r.get("IVNO", "").strip(), "year": r.get("YEA4", "").strip(),
            "invoice_date": m3_date(r.get("IVDT")), "due_date": m3_date(r.get("DUDT")),
            "amount": m3_decimal(r.get("IVAM")), "remaining_amount": m3_decimal(r.get("RAFC")),
            "currency": r.get("CUCD", "").strip(), "customer_number": (r.get("CUNO") or r.get("PYNO") or "").strip(),
        } for r in self.m3_list("OIS350MI", "LstInvHeadByCo", {"ORNO": order_number})]  # one order: one page

    def invoice_status(self, *, customer_number: str, invoice_number: str, year: str) -> dict:
        ledger = [r for r in self.m3_list("ARS200MI", "LstInvoices", {"CUNO": customer_number},
                                          start={"IVDT": "IVDT"}, key=("INYR", "CINO"))
                  if r.get("CINO", "").strip() == invoice_number and r.get("INYR", "").strip() == str(year)]
        if not ledger:
            raise FatalError(f"Infor M3 has no AR invoice {invoice_number} of {year} for customer {customer_number}.",
                             field="CINO")
        head = self.m3.execute("OIS350MI", "GetInvHead", {"YEA4": year, "IVNO": invoice_number})[0]
        entry = ledger[0]
        reconciled = entry.get("RECO", "").strip() == "9"
        return {
            "invoice_number": invoice_number, "year": str(year), "amount": m3_decimal(entry.get("CUAM")),
            "remaining_amount": m3_decimal(head.get("RAFC")), "currency": entry.get("CUCD", "").strip(),
            "reconciled": reconciled, "reconciled_on": m3_date(entry.get("REDE")) if reconciled else None,
        }


def _line_key(line: dict) -> list[str]:
    """What identifies a line already in a batch: its item and quantity."""
    return [str(line["item_number"]), str(Decimal(str(line["quantity"])).normalize())]

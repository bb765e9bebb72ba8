"""M3 customer orders and their invoices: OIS100MI batch entry and status, OIS350MI, ARS200MI."""
from __future__ import annotations

from datetime import date

from integrations.connectors.infor.m3 import m3_date, m3_decimal
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
    """Mixin of M3Adapter (needs self.m3, self.setting)."""

    def find_sales_order(self, *, customer_number: str, order_reference: str) -> dict | None:
        """The confirmed order of this customer carrying ``order_reference`` in CUOR, or None."""
        for head in self.m3.execute("OIS100MI", "LstHead", {"CUNO": customer_number}, maxrecs=0):
            if (head.get("CUOR") or "").strip() == order_reference:
                return self._status(head)
        return None

    def create_sales_order(self, *, order_reference: str, customer_number: str, lines: list[dict],
                           currency: str | None = None, order_type: str | None = None,
                           warehouse: str | None = None, payment_method: str | None = None,
                           payment_terms: str | None = None, order_date: date | None = None,
                           your_reference: str = "") -> dict:
        if not order_reference:
            raise FatalError("A sales order needs a reference (the customer order number) so it is never "
                             "created twice.", field="CUOR")
        if not lines:
            raise FatalError(f"Order {order_reference} has no lines to send to Infor M3.")
        existing = self.find_sales_order(customer_number=customer_number, order_reference=order_reference)
        if existing:
            return {"order_number": existing["order_number"], "created": False, "status": existing}
        # A crash after AddBatchHead leaves an unconfirmed batch order behind; it never
        # becomes a real order, and the retry starts a new batch.
        head = self.m3.execute("OIS100MI", "AddBatchHead", {
            "CUNO": customer_number, "CUOR": order_reference, "CUCD": currency, "PYCD": payment_method,
            "TEPY": payment_terms, "ORTP": order_type or self.setting("m3_order_type") or None,
            "WHLO": warehouse or self.setting("m3_warehouse") or None, "ORDT": order_date, "YREF": your_reference or None,
        })
        temp_orno = head[0]["ORNO"].strip()
        bulk = self.m3.execute_bulk("OIS100MI", [("AddBatchLine", {
            "ORNO": temp_orno, "ITNO": line["item_number"], "ORQT": line["quantity"],
            "SAPR": line.get("unit_price"), "ITDS": line.get("description") or None,
            "DIP1": line.get("discount_percent") or None,
        }) for line in lines])
        failures = [(n, r) for n, r in enumerate(bulk.results, start=1) if not r.ok]
        if failures or bulk.was_terminated or len(bulk.results) != len(lines):
            raise self._lines_error(order_reference, failures, bulk)
        confirmed = self.m3.execute("OIS100MI", "Confirm", {"ORNO": temp_orno})
        order_number = confirmed[0]["ORNO"].strip()
        return {"order_number": order_number, "created": True, "status": self.get_order_status(order_number=order_number)}

    @staticmethod
    def _lines_error(order_reference: str, failures, bulk) -> FatalError:
        if not failures:
            return FatalError(f"Infor M3 did not add every line of order {order_reference}: "
                              f"{bulk.termination_reason or 'the bulk request stopped early'}.")
        number, first = failures[0]
        error = first.error("OIS100MI")
        more = f" ({len(failures) - 1} more line(s) failed too)" if len(failures) > 1 else ""
        return type(error)(f"Line {number} of order {order_reference}: {error.message}{more}", code=error.code,
                           m3_field=error.m3_field, error_type=error.error_type, detail=error.detail)

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
        } for r in self.m3.execute("OIS350MI", "LstInvHeadByCo", {"ORNO": order_number}, maxrecs=0)]

    def invoice_status(self, *, customer_number: str, invoice_number: str, year: str) -> dict:
        ledger = [r for r in self.m3.execute("ARS200MI", "LstInvoices", {"CUNO": customer_number}, maxrecs=0)
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

"""M3 payments (ARS040MI), GL batches (GLS840MI), chart of accounts (CRS630MI), code tables (CRS175MI)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.connectors.infor.adapter import gl_balance
from integrations.errors import FatalError


class FinanceOperations:
    """Mixin of M3Adapter (needs self.m3, self.m3_list, self.setting, self.run_once, self.invoice_status)."""

    def record_payment(self, *, batch_id: int, customer_number: str, invoice_number: str, invoice_year: str,
                       amount: Decimal, payment_date: date, currency: str | None = None,
                       payment_type: str | None = None, reference: str = "", batch_type: str | None = None,
                       bank_account: str | None = None) -> dict:
        if not 0 < int(batch_id) < 10**10:
            raise FatalError(f"Payment batch number {batch_id} does not fit M3's 10-digit PBID.", field="PBID")
        if len(reference or "") > 15:  # a cut reference would name another payment
            raise FatalError(f"Payment reference {reference!r} is longer than M3's 15-character CKNO.", field="CKNO")
        if Decimal(amount) <= 0:
            raise FatalError(f"Payment amount {amount} must be greater than zero.", field="PYAM")
        pbid = str(int(batch_id))
        # Each step tolerates "already done": a retry after a crash resumes where it stopped.
        self.run_once("ARS040MI", "AddBatchHead", {
            "PBID": pbid, "BOPE": batch_type or self.setting("m3_payment_batch_type"), "ACDT": payment_date,
            "BAAN": bank_account})
        self.run_once("ARS040MI", "AddBatchLine", {
            "PBID": pbid, "TRNO": "1", "CINO": invoice_number, "INYR": invoice_year, "CUNO": customer_number,
            "PYAM": Decimal(amount).quantize(Decimal("0.01")), "CUCD": currency, "PYTP": payment_type,
            "LPDT": payment_date, "CKNO": reference or None})
        self.run_once("ARS040MI", "ControlBatch", {"PBID": pbid})
        # The reconciliation is confirmed by reading the AR ledger back, not assumed.
        return {"batch_id": pbid, "reference": reference, "invoice": self.invoice_status(
            customer_number=customer_number, invoice_number=invoice_number, year=invoice_year)}

    def post_gl_batch(self, *, batch_key: str, description: str, accounting_date: date, currency: str,
                      lines: list[dict], interface: str | None = None) -> dict:
        if not lines:
            raise FatalError(f"GL batch {batch_key} has no lines.")
        debit, credit = gl_balance(lines)
        if debit != credit:
            raise FatalError(f"GL batch {batch_key} does not balance: debit {debit}, credit {credit} "
                             f"(difference {debit - credit}). Check the expense's amounts and the offset account.",
                             field="amount")
        self.run_once("GLS840MI", "AddBatchHead", {
            "CONO": self.setting("m3_cono") or "100", "KEY1": batch_key,
            "INTN": interface or self.setting("m3_gl_interface"), "DESC": description[:40]})
        bulk = self.m3.execute_bulk("GLS840MI", [("AddBatchLineFld", self._gl_line(batch_key, number, line,
                                                                                   accounting_date, currency))
                                                 for number, line in enumerate(lines, start=1)])
        done_codes = self.setting("m3_already_done_codes")
        failures = [(n, r) for n, r in enumerate(bulk.results, start=1) if not r.ok and r.error_code not in done_codes]
        if failures or len(bulk.results) != len(lines):
            number, first = failures[0] if failures else (0, None)
            detail = first.error("GLS840MI").message if first else (bulk.termination_reason or "stopped early")
            raise FatalError(f"GL batch {batch_key}, line {number}: {detail}", field=first.error_field if first else "")
        self.run_once("GLS840MI", "CtrlBatch", {"KEY1": batch_key})
        updated = self.run_once("GLS840MI", "UpdBatch", {"KEY1": batch_key})
        voucher = (updated[0].get("VONO") or "").strip() if updated else ""
        return {"batch_key": batch_key, "voucher_number": voucher, "lines": len(lines), "already_posted": updated is None}

    def _gl_line(self, batch_key: str, number: int, line: dict, accounting_date: date, currency: str) -> dict:
        amount = Decimal(line["amount"])
        local = Decimal(line["local_amount"]) if line.get("local_amount") is not None else amount
        record = {
            "KEY1": batch_key, "LINE": number, "INRI": self.setting("m3_gl_record_identity"), "AIT1": line["account"],
            "CUCD": currency, "CUAM": amount.quantize(Decimal("0.01")), "ACAM": local.quantize(Decimal("0.01")),
            "DBCR": "D" if local >= 0 else "C", "ACDT": accounting_date, "VTCD": line.get("vat_code") or None,
            "VTXT": (line.get("text") or "")[:40] or None,
        }
        for dimension, value in (line.get("dimensions") or {}).items():
            record[f"AIT{int(dimension)}"] = value
        return record

    def list_accounts(self) -> list[dict]:
        return [{
            "account": r.get("AITM", "").strip(), "description": r.get("TX40", "").strip(),
            "blocked": r.get("LCCD", "").strip() not in ("", "0"),
            "kind": "profit_and_loss" if r.get("AICL", "").strip() == "2" else "balance",
        } for r in self.m3_list("CRS630MI", "LstAccountID", {"AITP": "1"}, start={"AITM": "AITM"}, key=("AITM",))]

    def validate_accounts(self, *, accounts: list[str]) -> dict[str, str]:
        known = {a["account"]: a for a in self.list_accounts()}
        problems = {}
        for account in accounts:
            if account not in known:
                problems[account] = "does not exist in the Infor chart of accounts"
            elif known[account]["blocked"]:
                problems[account] = "is blocked in Infor"
        return problems

    def list_codes(self, *, table: str) -> list[dict]:
        constant = self.setting("m3_code_tables").get(table, table)
        return [{"code": r.get("STKY", "").strip(), "description": (r.get("TX40") or r.get("TX15") or "").strip()}
                for r in self.m3_list("CRS175MI", "LstGeneralCode", {"STCO": constant}, start={"STKY": "STKY"},
                                      key=("STKY",))]

"""Flow 7, Procure-to-Pay: FreshBooks expense → a balanced Infor GL batch (GLS840MI).

The mapping set ``freshbooks-expense-to-infor-gl-journal`` makes the journal: debit the
expense account (category → account by the value table ``expense-category-to-gl-account``),
debit input tax when the expense carries tax, credit the offset account (bank or payables).
A category missing from the table is a mapping error naming the category and the table:
the item is a dead letter until the table is fixed, then replayed. The batch is checked to
balance before Infor is called, and Infor's control run checks it again with the accounts.

The flow adds to the expense: ``category_name``; ``offset_account`` and ``tax_account``
(settings, defaults 2000 and 2640); ``tax_amount`` (taxAmount1 + taxAmount2);
``net_amount`` and ``total_amount`` — whether FreshBooks' ``amount`` includes the tax is
not documented, so ``amount_includes_tax`` (default true) says which. With ``local_currency``
set and a foreign-currency expense, local amounts use the mapping engine's dated rates.

Flow: source = FreshBooks "expense", target = Infor "journal"; the batch key is
``batch_prefix`` (default "FBX") + expense id, so a retry finds its batch.
"""
from __future__ import annotations

from integrations.connectors.preflight import FlowRequirements

from datetime import datetime
from decimal import Decimal

from integrations.errors import FatalError
from integrations.flows.expense_gl.settings import EXPENSE_GL_SETTINGS
from integrations.flows.toolkit.bindings import (
    binding_extra_update,
    binding_find,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.values import decimal_of
from integrations.models import Entity
from mappings.rates import currency_rate_lookup

CENT = Decimal("0.01")


class ExpenseGlFlow(BaseFlow):
    entity_kind = Entity.Kind.EXPENSE
    settings_spec = EXPENSE_GL_SETTINGS
    default_mapping_set = "freshbooks-expense-to-infor-gl-journal"
    requirements = FlowRequirements(freshbooks_scopes=("user:expenses:read",), infor_settings=("m3_gl_interface",),
                                    infor_code_settings=(("offset_account", "AIT1"), ("tax_account", "AIT1")))

    def fetch_source(self, item):
        expense = self.freshbooks_live("expenses", item.source_id, "expense")
        category = self.fb.expense_categories.get(expense["categoryid"]) if expense.get("categoryid") else {}
        tax = decimal_of(expense.get("taxAmount1")) + decimal_of(expense.get("taxAmount2"))
        amount = decimal_of(expense.get("amount"))
        net = amount - tax if self.setting("amount_includes_tax") else amount
        return {**expense, "category_name": category.get("category") or "",
                "offset_account": self.setting("offset_account"),
                "tax_account": self.setting("tax_account"),
                "tax_amount": str(tax), "net_amount": str(net), "total_amount": str(net + tax)}

    def source_version(self, source):
        return str(source.get("updated") or "")

    def map(self, item, source):
        return self.mapping_apply(source)

    def batch_key(self, item) -> str:
        return f"{self.setting('batch_prefix')}{item.source_id}"[:15]

    def create(self, item, payload):
        lines = payload.get("lines") or []
        if not lines:
            raise FatalError("The mapping made no journal lines for this expense.")
        currency = str(lines[0].get("CUCD") or "").upper()
        accounting_date = datetime.strptime(str(lines[0]["ACDT"]), "%Y%m%d").date()
        journal = [{"account": str(line["AIT1"]), "amount": decimal_of(line["ACAM"]), "text": line.get("VTXT") or "",
                    "vat_code": line.get("VTCD") or None} for line in lines]
        self._local_amounts(journal, currency, accounting_date)
        self._posted = self.infor.post_gl_batch(batch_key=self.batch_key(item), description=str(payload["DESC"]),
                                                accounting_date=accounting_date, currency=currency, lines=journal)
        self._journal = journal
        return self._posted["batch_key"]

    def _local_amounts(self, journal: list[dict], currency: str, on) -> None:
        """Foreign-currency expenses: local amounts at the dated rate; the last line absorbs rounding."""
        local = self.setting("local_currency").upper()
        if not local or not currency or local == currency:
            return
        rate = currency_rate_lookup(from_currency=currency, to_currency=local, on=on)
        for line in journal:
            line["local_amount"] = (line["amount"] * rate).quantize(CENT)
        journal[-1]["local_amount"] -= sum(line["local_amount"] for line in journal)

    def update(self, item, external_id, payload):
        raise FatalError(f"This expense is already posted to Infor as GL batch {external_id} and has changed in "
                         "FreshBooks since. Post the correction in Infor; Ledgerlink does not reverse posted journals.")

    def on_success(self, item, result):
        journal = getattr(self, "_journal", None)
        if journal is None:
            return
        binding = binding_find(connection=self.flow.target_connection_id, object_type=self.flow.target_object,
                               external_id=result.external_id)
        binding_extra_update(binding=binding, voucher_number=self._posted.get("voucher_number", ""))
        amounts = [line.get("local_amount", line["amount"]) for line in journal]
        result.extra["facts"] = {"gl_lines": [{"debit": str(a) if a > 0 else "0", "credit": str(-a) if a < 0 else "0"}
                                              for a in amounts]}
        result.extra["voucher_number"] = self._posted.get("voucher_number", "")

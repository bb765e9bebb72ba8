"""InforErpAdapter for M3 (MI REST v2): settings, shared helpers, and the assembled adapter.

Connection settings (non-secret, all optional; defaults below):
    m3_cono / m3_divi            company and division context (default: the user's)
    m3_customer_template         CUTM for new customers
    m3_order_type, m3_warehouse  defaults for new customer orders
    m3_payment_batch_type        BOPE of payment batches
    m3_gl_interface, m3_gl_record_identity   INTN (GLS850) and INRI of GL batches
    m3_delivered_status          line status that counts as delivered
    m3_not_found_codes           M3 message ids meaning "no such record"
    m3_already_done_codes        message ids meaning "this step was done before" (safe retries)
    m3_code_tables               logical table → CSYTAB constant (STCO) for CRS175MI
    m3_page_size                 records per List call (maxrecs); lists are read page by page
The message ids and CSYTAB constants are unconfirmed against a live tenant (reference §7),
hence settings rather than constants.
"""
from __future__ import annotations

from integrations.connectors.infor.adapter import InforErpAdapter
from integrations.connectors.infor.m3 import M3BusinessError, M3Client
from integrations.connectors.infor.m3_customers import CustomerOperations
from integrations.connectors.infor.m3_finance import FinanceOperations
from integrations.connectors.infor.m3_orders import OrderOperations
from integrations.models import Connection

DEFAULTS = {
    "m3_customer_template": "TMPL",
    "m3_order_type": "",
    "m3_warehouse": "",
    "m3_payment_batch_type": "1",
    "m3_gl_interface": "LEDGERLINK",
    "m3_gl_record_identity": "1",
    "m3_delivered_status": "66",
    "m3_invoiced_status": "77",
    "m3_not_found_codes": ["XIM0002", "XRE0103"],
    "m3_already_done_codes": ["XRE0101", "AR04003", "GL84003"],
    "m3_code_tables": {"customer_group": "CUCL", "payment_method": "PYCD", "payment_terms": "TEPY",
                       "payment_type": "PYTP", "country": "CSCD", "customer_template": "CUTM", "order_type": "ORTP",
                       "warehouse": "WHLO", "batch_payment_type": "BOPE", "gl_interface": "INTN"},
    # Small enough that one page answers well inside the gateway's one-minute timeout; the
    # server-side maxrecs caps are unconfirmed (reference §2.5), hence a setting.
    "m3_page_size": 500,
}


class M3Adapter(CustomerOperations, OrderOperations, FinanceOperations, InforErpAdapter):
    def __init__(self, connection: Connection, *, client: M3Client | None = None):
        super().__init__(connection)
        self.m3 = client or M3Client(connection)

    def m3_list(self, program: str, transaction: str, record: dict | None = None, *,
                start: dict[str, str] | None = None, key: tuple[str, ...] = ()) -> list[dict]:
        """A whole M3 list, read in pages of m3_page_size (the operation mixins read lists through this)."""
        return list(self.m3.execute_paged(program, transaction, record, page_size=int(self.setting("m3_page_size")),
                                          start=start, key=key))

    def setting(self, name: str):
        value = self.connection.settings.get(name)
        if isinstance(value, dict) and isinstance(DEFAULTS.get(name), dict):
            return {**DEFAULTS[name], **value}  # a table named in the settings replaces only that table
        return value or DEFAULTS.get(name)

    def user_context(self) -> dict:
        """The company and division the calls run in (MNS150MI GetUserData, with the connection's cono/divi)."""
        records = self.m3.execute("MNS150MI", "GetUserData", {})
        return {"company": (records[0].get("CONO") or "").strip(), "division": (records[0].get("DIVI") or "").strip()}

    def item_exists(self, *, item_number: str) -> bool:
        try:
            self.m3.execute("MMS200MI", "GetItmBasic", {"ITNO": item_number})
        except M3BusinessError as exc:
            if self.is_not_found(exc) or exc.code == "WIT0103":
                return False
            raise
        return True

    def is_not_found(self, exc: M3BusinessError) -> bool:
        return exc.code in self.setting("m3_not_found_codes")

    def run_once(self, program: str, transaction: str, record: dict) -> list[dict] | None:
        """Run a step that a crashed attempt may already have done; None when M3 says it was."""
        try:
            return self.m3.execute(program, transaction, record)
        except M3BusinessError as exc:
            if exc.code in self.setting("m3_already_done_codes"):
                return None
            raise

"""M3 customers: CRS610MI Add / ChgBasicData / ChgOrderInfo / ChgFinancial / GetBasicData / LstByNumber."""
from __future__ import annotations

from integrations.connectors.infor.m3 import M3BusinessError

PROGRAM = "CRS610MI"
# M3 field → plain name in the dicts the flows see.
CUSTOMER_FIELDS = {
    "CUNO": "customer_number", "CUNM": "name", "CUA1": "address_line1", "CUA2": "address_line2", "TOWN": "city",
    "PONO": "postal_code", "CSCD": "country", "MAIL": "email", "PHNO": "phone", "YREF": "reference",
    "CUCL": "customer_group", "CUCD": "currency", "PYCD": "payment_method", "TEPY": "payment_terms",
    "STAT": "status", "LMTS": "changed_at",
}


# LstByNumber runs from CUNO onwards: the next page starts at the last customer number.
BY_NUMBER = {"start": {"CUNO": "CUNO"}, "key": ("CUNO",)}


def customer_from_m3(record: dict) -> dict:
    return {plain: (record.get(m3) or "").strip() for m3, plain in CUSTOMER_FIELDS.items()}


class CustomerOperations:
    """Mixin of M3Adapter (needs self.m3, self.m3_list, self.setting, self.is_not_found)."""

    def get_customer(self, *, customer_number: str) -> dict | None:
        try:
            records = self.m3.execute(PROGRAM, "GetBasicData", {"CUNO": customer_number})
        except M3BusinessError as exc:
            if self.is_not_found(exc):
                return None
            raise
        return customer_from_m3(records[0]) if records else None

    def find_customer(self, *, reference: str) -> dict | None:
        # LstByNumber has no reference filter: read all customers page by page. Fine for the few
        # thousand customers of a typical tenant; flows bind customers after the first match,
        # so this runs once per customer.
        if not reference:
            return None
        for record in self.m3_list(PROGRAM, "LstByNumber", {}, **BY_NUMBER):
            if (record.get("YREF") or "").strip() == reference:
                return customer_from_m3(record)
        return None

    def list_changed_customers(self, *, since: str | None = None) -> dict:
        records = self.m3_list(PROGRAM, "LstByNumber", {"LMTS": since} if since else {}, **BY_NUMBER)
        customers = [customer_from_m3(r) for r in records]
        stamps = [int(c["changed_at"]) for c in customers if c["changed_at"].isdigit()]
        return {"customers": customers, "watermark": str(max(stamps)) if stamps else (since or "")}

    def upsert_customer(self, *, name: str, customer_number: str | None = None, reference: str = "",
                        address_line1: str = "", address_line2: str = "", city: str = "", postal_code: str = "",
                        country: str = "", email: str = "", phone: str = "", customer_group: str | None = None,
                        currency: str | None = None, payment_method: str | None = None,
                        payment_terms: str | None = None, template: str | None = None) -> dict:
        basic = {"CUNM": name, "CUA1": address_line1, "CUA2": address_line2, "TOWN": city, "PONO": postal_code,
                 "CSCD": country, "MAIL": email, "PHNO": phone, "YREF": reference}
        existing = self.get_customer(customer_number=customer_number) if customer_number else None
        if existing is None and reference:
            existing = self.find_customer(reference=reference)
        cuno, created = (existing["customer_number"], False) if existing else self._customer_add(
            basic, customer_number, template)
        if not created:
            # Blank MI inputs mean "leave as is" in M3 Chg transactions: send what we have.
            self.m3.execute(PROGRAM, "ChgBasicData", {"CUNO": cuno, **{k: v for k, v in basic.items() if v}})
        order_info = {"CUCL": customer_group, "TEPY": payment_terms}
        if any(order_info.values()):
            self.m3.execute(PROGRAM, "ChgOrderInfo", {"CUNO": cuno, **order_info})
        financial = {"CUCD": currency, "PYCD": payment_method}
        if any(financial.values()):
            self.m3.execute(PROGRAM, "ChgFinancial", {"CUNO": cuno, **financial})
        return {"customer_number": cuno, "created": created, "customer": self.get_customer(customer_number=cuno)}

    def _customer_add(self, basic: dict, customer_number: str | None, template: str | None) -> tuple[str, bool]:
        """Add (number from the series unless given); group, currency and method are not Add fields.

        (number, True) when added; (number, False) when the given number already existed
        (a crashed attempt added it after our lookup), so the caller updates it instead.
        """
        record = {"CUTM": template or self.setting("m3_customer_template"), "CUNO": customer_number,
                  **{k: v for k, v in basic.items() if v}}
        if not record.get("CUA1"):
            record["CUA1"] = "-"  # CUA1 is mandatory on Add; web-shop customers often have no street
        if not customer_number:
            return self.m3.execute(PROGRAM, "Add", record)[0]["CUNO"].strip(), True
        return customer_number, self.run_once(PROGRAM, "Add", record) is not None

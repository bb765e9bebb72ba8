"""The Infor ERP domain interface the flows call, and the registry of product adapters.

Flows speak in domain operations (upsert a customer, create a sales order, record a
payment, post a GL batch) with plain Python values: ``str`` codes, ``Decimal`` money,
``datetime.date`` dates; results are plain dicts. M3 MI REST v2 is the first adapter;
CloudSuite Industrial (IDO) or LN (OData) can be added behind the same interface by adding
a class and a line to INFOR_ADAPTERS, chosen per connection by ``settings["infor_product"]``.

Every write is safe to repeat (the engine retries and replays):
- upsert_customer finds the customer by number or by ``reference`` before adding one;
- create_sales_order looks the order up by its customer order number (CUOR) first;
- record_payment and post_gl_batch use caller-chosen batch ids and accept "already
  exists / already updated" answers for steps a crashed attempt completed.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from decimal import Decimal

from django.utils.module_loading import import_string

from integrations.errors import FatalError
from integrations.models import Connection

INFOR_ADAPTERS: dict[str, str] = {
    "m3": "integrations.connectors.infor.m3_adapter.M3Adapter",
}


class InforErpAdapter(ABC):
    """Domain operations on one Infor ERP tenant. Implementations raise classified errors only."""

    def __init__(self, connection: Connection):
        self.connection = connection

    # -- customers ---------------------------------------------------------------------------
    @abstractmethod
    def upsert_customer(self, *, name: str, customer_number: str | None = None, reference: str = "",
                        address_line1: str = "", address_line2: str = "", city: str = "", postal_code: str = "",
                        country: str = "", email: str = "", phone: str = "", customer_group: str | None = None,
                        currency: str | None = None, payment_method: str | None = None,
                        payment_terms: str | None = None, template: str | None = None) -> dict:
        """Create or update a customer; returns ``{"customer_number", "created", "customer": get_customer(...)}``.

        Looks up ``customer_number`` (when given) or ``reference`` (e.g. the FreshBooks client
        id, kept in the customer's "your reference") before adding, so a retried create
        finds the customer it made. Group, currency and payment method are set after the add.
        """

    @abstractmethod
    def get_customer(self, *, customer_number: str) -> dict | None:
        """The customer as a plain dict (number, name, address, email, group, currency,
        payment method, status, ``changed_at`` stamp), or None when it does not exist."""

    @abstractmethod
    def find_customer(self, *, reference: str) -> dict | None:
        """The customer whose "your reference" equals ``reference``, or None."""

    @abstractmethod
    def list_changed_customers(self, *, since: str | None = None) -> dict:
        """Customers changed at or after the ``since`` stamp (None: all), for polling.

        Returns ``{"customers": [...], "watermark": str}``; store the watermark as the cursor
        only after the batch is committed (the engine's cursor_advance)."""

    # -- orders and invoices -----------------------------------------------------------------
    @abstractmethod
    def find_sales_order(self, *, customer_number: str, order_reference: str) -> dict | None:
        """The order of this customer carrying ``order_reference`` (CUOR) as ``get_order_status``
        returns it, or None."""

    @abstractmethod
    def create_sales_order(self, *, order_reference: str, customer_number: str, lines: list[dict],
                           currency: str | None = None, order_type: str | None = None,
                           warehouse: str | None = None, payment_method: str | None = None,
                           payment_terms: str | None = None, order_date: date | None = None,
                           your_reference: str = "", batch: dict | None = None) -> dict:
        """Create and confirm a customer order unless one with this ``order_reference`` exists.

        ``lines``: ``[{"item_number", "quantity": Decimal, "unit_price": Decimal | None,
        "description"}]``. ``order_reference`` (≤ 20 chars; e.g. the FreshBooks invoice
        number) is written into the order and looked up first, so one reference never yields
        two orders. Returns ``{"order_number", "created", "status": get_order_status(...)}``.
        A create that fails half-way raises with ``detail["batch_order"]``: what the ERP holds of
        it; passed back as ``batch``, the next try completes that instead of starting another.
        """

    @abstractmethod
    def get_order_status(self, *, order_number: str) -> dict:
        """``{"order_number", "lowest_status", "highest_status", "delivered", "partly_delivered",
        "invoiced", "customer_number", "order_reference", "currency", "net_amount": Decimal}``;
        ``delivered`` means every line reached the delivered status (66 in M3)."""

    def cancel_sales_order(self, *, order_number: str, transaction: str) -> None:
        """Cancel a not yet delivered order with the tenant's transaction (``PROGRAM/TRANSACTION``, a flow
        setting: the API reference documents none)."""
        raise FatalError(f"This Infor ERP cannot cancel orders through {transaction}.")

    @abstractmethod
    def list_invoices(self, *, order_number: str) -> list[dict]:
        """Invoices of an order: ``[{"invoice_number", "year", "invoice_date", "due_date",
        "amount": Decimal, "remaining_amount": Decimal, "currency", "customer_number"}]``."""

    @abstractmethod
    def invoice_status(self, *, customer_number: str, invoice_number: str, year: str) -> dict:
        """The AR ledger view of one invoice: ``{"invoice_number", "year", "amount",
        "remaining_amount", "reconciled": bool, "reconciled_on": date | None}``."""

    # -- payments and GL ---------------------------------------------------------------------
    @abstractmethod
    def record_payment(self, *, batch_id: int, customer_number: str, invoice_number: str, invoice_year: str,
                       amount: Decimal, payment_date: date, currency: str | None = None,
                       payment_type: str | None = None, reference: str = "", batch_type: str | None = None,
                       bank_account: str | None = None) -> dict:
        """Record a (partial) customer payment against one invoice and read the reconciliation back.

        ``batch_id`` is a caller-chosen number (≤ 10 digits, e.g. derived from the
        FreshBooks payment id) so a retry reuses the batch instead of paying twice.
        Returns ``{"batch_id", "invoice": invoice_status(...)}``."""

    @abstractmethod
    def post_gl_batch(self, *, batch_key: str, description: str, accounting_date: date, currency: str,
                      lines: list[dict], interface: str | None = None) -> dict:
        """Post a balanced journal. ``lines``: ``[{"account", "amount": Decimal (debit > 0,
        credit < 0), "local_amount": Decimal | None, "text", "vat_code", "dimensions": {2: …}}]``.

        Refuses (FatalError) a batch whose local amounts do not sum to zero before calling
        the ERP. ``batch_key`` (≤ 15 chars) identifies the batch for retries. Returns
        ``{"batch_key", "voucher_number", "lines", "already_posted"}``."""

    # -- master data -------------------------------------------------------------------------
    @abstractmethod
    def list_accounts(self) -> list[dict]:
        """Chart of accounts: ``[{"account", "description", "blocked": bool, "kind"}]``."""

    @abstractmethod
    def validate_accounts(self, *, accounts: list[str]) -> dict[str, str]:
        """Problems by account (``{"9999": "does not exist", "4999": "is blocked"}``); empty when all usable."""

    @abstractmethod
    def list_codes(self, *, table: str) -> list[dict]:
        """A code table for validation and value-table suggestions: ``[{"code", "description"}]``.
        ``table``: customer_group, payment_method, payment_terms, payment_type (or an M3 constant)."""


def infor_adapter_for(connection: Connection) -> InforErpAdapter:
    product = connection.settings.get("infor_product", "m3")
    try:
        return import_string(INFOR_ADAPTERS[product])(connection)
    except KeyError:
        raise FatalError(f"The Infor connection '{connection.name}' names product '{product}', which Ledgerlink "
                         f"does not support. Supported: {', '.join(sorted(INFOR_ADAPTERS))}.") from None


def gl_balance(lines: list[dict]) -> tuple[Decimal, Decimal]:
    """(debit, credit) of a journal's local amounts; balanced when they are equal."""
    amounts = [Decimal(line.get("local_amount") if line.get("local_amount") is not None else line["amount"])
               for line in lines]
    return sum((a for a in amounts if a > 0), Decimal("0")), -sum((a for a in amounts if a < 0), Decimal("0"))

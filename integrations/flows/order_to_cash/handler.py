"""Flow 4, Order-to-Cash: shop order → FreshBooks client + invoice → Infor customer + sales order.

One chain per order; each step is its own SyncItem (``step``), started by the previous
step's ``on_success`` with ``parent`` set, so a failed step is replayed alone and the chain
resumes there. Every step finds before it creates (binding → external reference → match),
so replays, duplicate deliveries and crashes between steps never duplicate a record:

    ""                   shop customer (by e-mail)  → FreshBooks client (matched by e-mail)
    freshbooks_invoice   shop order                 → FreshBooks invoice (customer + po_number)
    infor_customer       FreshBooks client          → Infor customer, only when new (YREF = client id)
    infor_order          FreshBooks invoice         → Infor sales order (CUOR = invoice number), confirmed

Flow: source = the Shopify or WooCommerce connection, object "order"; target = FreshBooks
"invoice"; settings: ``infor_connection`` (name), optional ``mapping_sets`` {step: name},
``update_existing_customers`` (default false: the chain creates Infor customers, flow 8
keeps them in step).
"""
from __future__ import annotations

from integrations.connectors.preflight import FlowRequirements

from decimal import Decimal

from integrations.errors import FatalError, SkippableError
from integrations.connectors.shop.order import ShopOrder
from integrations.flows.order_to_cash.after_sale import AfterSale, after_sale_wanted
from integrations.flows.order_to_cash.invoice_lines import product_lines
from integrations.flows.order_to_cash.invoice_total import order_invoice_lines, order_total_finding
from integrations.flows.order_to_cash.settings import ORDER_TO_CASH_SETTINGS
from integrations.flows.order_to_cash.source import (
    shop_customer_key,
    shop_customer_name_address,
    shop_customer_name_address_hash,
    shop_order_read,
)
from integrations.flows.toolkit.bindings import (
    binding_extra_update,
    binding_find,
    binding_version_store,
    bindings_by_extra,
    entity_binding_find,
    entity_link_ensure,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.infor_customers import (
    customer_arguments,
    infor_customer_match,
)
from integrations.flows.toolkit.values import decimal_of
from integrations.models import Entity, SyncItem
from integrations.sync.handler import WriteResult
from integrations.sync.items import sync_item_enqueue
from mappings.normalise import email_normalise


class OrderStep(BaseFlow):
    """One step of the chain; ``next_step`` is started when it succeeds."""

    next_step: str | None = None
    settings_spec = ORDER_TO_CASH_SETTINGS

    @property
    def platform(self) -> str:
        return self.flow.source_connection.system

    def order(self, item: SyncItem) -> dict:
        return shop_order_read(connection_id=self.flow.source_connection_id, order_id=item.source_id)

    def customer_key(self, source: dict) -> str:
        """The key of this order's customer binding: its e-mail; without one, the key a binding already has for
        the same shop customer id, or for the same name + billing address; else ``shop_customer_key``'s."""
        key = shop_customer_key(source)
        if "@" in key or binding_find(connection=self.flow.source_connection_id, object_type="customer",
                                      external_id=key):
            return key
        customer = (source.get("_order") or {}).get("customer") or {}
        for name, value in (("shop_customer_id", str(customer.get("id") or "")),
                            ("name_address", shop_customer_name_address_hash(customer))):
            if value:
                for binding in bindings_by_extra(connection=self.flow.source_connection_id, object_type="customer",
                                                 **{name: value}):
                    return binding.external_id
        return key

    def customer_entity_id(self, item: SyncItem) -> int | None:
        key = self.customer_key(self.order(item))
        binding = binding_find(connection=self.flow.source_connection_id, object_type="customer", external_id=key)
        return binding.entity_id if binding else None

    def bound(self, entity_id: int | None, connection, object_type: str, step_words: str) -> str:
        binding = entity_binding_find(entity=entity_id, connection=connection, object_type=object_type)
        if binding is None:
            raise FatalError(f"The {step_words} of this order is not linked yet: replay that step of the chain first.")
        return binding.external_id

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        if self.next_step is not None:
            sync_item_enqueue(flow=self.flow, source_object=item.source_object, source_id=item.source_id,
                              step=self.next_step, parent=item, hint={"after_step": item.step or "start"})


class FreshBooksClientStep(OrderStep):
    entity_kind = Entity.Kind.CUSTOMER
    next_step = "freshbooks_invoice"

    def lock_key(self, item):  # two orders of one new customer must not both create the client
        return f"fb-client:{self.freshbooks_connection.pk}:{self.customer_key(self.order(item))}"

    def fetch_source(self, item):
        return self.order(item)

    def source_ref(self, item, source):
        return self.flow.source_connection_id, "customer", self.customer_key(source)

    def target_ref(self, item):
        return self.freshbooks_connection.pk, "client"

    def map(self, item, source):
        return self.mapping_apply(source, step="freshbooks_client", default=f"{self.platform}-order-to-freshbooks-client")

    def find_existing(self, item, source, payload):
        # e-mail first; without one (Shopify's protected customer data) name + billing address. (Another
        # order of the same shop customer already met its binding: see customer_key.)
        found = self.freshbooks_client_by_email(payload.get("email"))
        if found or email_normalise(payload.get("email")):
            return found
        return self.client_by_name_address((source.get("_order") or {}).get("customer") or {})

    def client_by_name_address(self, customer: dict) -> str | None:
        wanted = shop_customer_name_address(customer)
        if not wanted:
            return None
        search = {"fname_like": customer.get("first_name") or "", "lname_like": customer.get("last_name") or ""}
        for client in self.fb.clients.list(search={k: v for k, v in search.items() if v}, per_page=100).items:
            seen = shop_customer_name_address({
                "first_name": client.get("fname"), "last_name": client.get("lname"),
                "address_line1": client.get("p_street"), "postal_code": client.get("p_code"),
                "country": customer.get("country") if not client.get("p_country") else client.get("p_country")})
            if seen == wanted:
                return str(client["id"])
        return None

    def create(self, item, payload):
        return self.freshbooks_client_create(payload)

    def on_success(self, item, result):
        # Remember the shop customer id and a digest of name + address on this customer's binding,
        # whatever its key, so a later order of the same customer without e-mail meets this binding.
        customer = ((item.source_snapshot or {}).get("_order") or {}).get("customer") or {}
        binding = binding_find(connection=self.flow.source_connection_id, object_type="customer",
                               external_id=self.customer_key(item.source_snapshot))
        marks = {"shop_customer_id": str(customer.get("id") or ""),
                 "name_address": shop_customer_name_address_hash(customer)}
        binding_extra_update(binding=binding, **{k: v for k, v in marks.items() if v})
        super().on_success(item, result)

    def update(self, item, external_id, payload):
        # A matched client belongs to finance: fill what it lacks, never overwrite what it has.
        current = self.fb.clients.get(external_id)
        missing = {k: v for k, v in payload.items() if v not in (None, "") and current.get(k) in (None, "")}
        if missing:
            self.fb.clients.update(external_id, missing)


class FreshBooksInvoiceStep(OrderStep):
    entity_kind = Entity.Kind.ORDER
    next_step = "infor_customer"

    def fetch_source(self, item):
        source = self.order(item)
        source["_customerid"] = self.bound(self.customer_entity_id(item), self.freshbooks_connection, "client",
                                           "FreshBooks client")
        return source

    def target_ref(self, item):
        return self.freshbooks_connection.pk, "invoice"

    def map(self, item, source):
        payload = self.mapping_apply(source, step="freshbooks_invoice",
                                     default=f"{self.platform}-order-to-freshbooks-invoice")
        payload = {**payload, "customerid": int(source["_customerid"])}
        if self.setting("invoice_lines") == "order":
            self._built = built = order_invoice_lines(source["_order"], currency_from=self.setting("invoice_currency"),
                                                      convert_to=self.setting("convert_to_currency"))
            notes = "\n".join(part for part in (payload.get("notes") or "", *built.notes) if part)
            payload.update(lines=built.lines, currency_code=built.currency, **({"notes": notes} if notes else {}))
        return payload

    def find_existing(self, item, source, payload):
        po_number = str(payload.get("po_number") or "")
        if not po_number:
            return None
        for invoice in self.fb.invoices.iterate(search={"customerid": payload["customerid"]}, include=()):
            if str(invoice.get("po_number") or "") == po_number:
                return str(invoice["id"])
        return None

    def create(self, item, payload):
        if (item.source_snapshot.get("_order") or {}).get("cancelled"):
            raise SkippableError("The order was cancelled in the shop before it was invoiced: no invoice is made.")
        return str(self.fb.invoices.create(payload)["id"])

    def update(self, item, external_id, payload):
        # Only a draft follows changes to the order; a sent or paid invoice is finance's document.
        if self.fb.invoices.get(external_id, include=()).get("v3_status", "draft") == "draft":
            self.fb.invoices.update(external_id, payload)

    def on_success(self, item, result):
        invoice = self.fb.invoices.get(result.external_id, include=())
        binding = binding_find(connection=self.freshbooks_connection.pk, object_type="invoice",
                               external_id=result.external_id)
        binding_extra_update(binding=binding, invoice_number=str(invoice.get("invoice_number") or ""))
        entity_link_ensure(from_entity=self.customer_entity_id(item), to_entity=item.entity_id, relation="ordered")
        order = item.source_snapshot.get("_order") or {}
        built = getattr(self, "_built", None)
        result.extra["facts"] = {  # the order's total in the invoice's currency (converted when the flow says so)
            "source_amount": str(built.total if built else order.get("total", "")),
            "source_currency": built.currency if built else order.get("currency", ""),
            "target_amount": str(decimal_of(invoice.get("amount"))),
            "target_currency": (invoice.get("amount") or {}).get("code") or invoice.get("currency_code", ""),
        }
        if built is not None:
            order_total_finding(flow=self.flow, order=order, built=built, invoice_id=result.external_id)
        super().on_success(item, result)


class InforCustomerStep(OrderStep):
    entity_kind = Entity.Kind.CUSTOMER
    next_step = "infor_order"

    def client_id(self, item) -> str:
        return self.bound(self.customer_entity_id(item), self.freshbooks_connection, "client", "FreshBooks client")

    def lock_key(self, item):
        return f"infor-customer:{self.freshbooks_connection.pk}:{self.client_id(item)}"

    def fetch_source(self, item):
        return self.fb.clients.get(self.client_id(item))

    def source_ref(self, item, source):
        return self.freshbooks_connection.pk, "client", str(source["id"])

    def target_ref(self, item):
        return self.infor_connection.pk, "customer"

    def map(self, item, source):
        return self.mapping_apply(source, step="infor_customer", default="freshbooks-client-to-infor-customer")

    def find_existing(self, item, source, payload):
        found = infor_customer_match(self.infor, reference=str(source["id"]), email=payload.get("MAIL"),
                                     connection_id=self.infor_connection.pk)
        return found["customer_number"] if found else None

    def create(self, item, payload):
        result = self.infor.upsert_customer(reference=str(item.source_snapshot["id"]), **customer_arguments(payload))
        self._written = result["customer"]
        return result["customer_number"]

    def update(self, item, external_id, payload):
        if self.setting("update_existing_customers"):
            result = self.infor.upsert_customer(customer_number=external_id, reference=str(item.source_snapshot["id"]),
                                                **customer_arguments(payload))
            self._written = result["customer"]

    def on_success(self, item, result):
        written = getattr(self, "_written", None)
        if written:  # our own write's LMTS: flow 8's poll recognises it as an echo
            binding_version_store(connection=self.infor_connection.pk, object_type="customer",
                                  external_id=result.external_id, version=written.get("changed_at", ""))
        super().on_success(item, result)


BATCH_KEY = "infor_batch_order"  # on the FreshBooks invoice's binding: a half-made M3 batch order


class InforOrderStep(OrderStep):
    entity_kind = Entity.Kind.ORDER
    next_step = "after_sale"

    def fetch_source(self, item):
        order_binding = binding_find(connection=self.flow.source_connection_id, object_type="order",
                                     external_id=item.source_id)
        invoice_id = self.bound(order_binding.entity_id if order_binding else None, self.freshbooks_connection,
                                "invoice", "FreshBooks invoice")
        invoice = self.fb.invoices.get(invoice_id)
        client = binding_find(connection=self.freshbooks_connection.pk, object_type="client",
                              external_id=invoice.get("customerid"))
        invoice["lines"] = product_lines(invoice.get("lines") or [])  # discounts, shipping, tax: not M3 items
        invoice["infor_customer_number"] = self.bound(client.entity_id if client else None, self.infor_connection,
                                                      "customer", "Infor customer")
        return invoice

    def source_ref(self, item, source):
        return self.freshbooks_connection.pk, "invoice", str(source["id"])

    def target_ref(self, item):
        return self.infor_connection.pk, "order"

    def map(self, item, source):
        payload = self.mapping_apply(source, step="infor_order", default="freshbooks-invoice-to-infor-sales-order")
        payload = {**payload, "CUNO": source["infor_customer_number"]}
        # What the shop's discounts took off each product, as M3's line discount percentage (AddBatchLine DIP1,
        # 5 characters): M3 keeps percentages, not amounts, so it is the nearest M3 allows.
        order_lines = (self.order(item).get("_order") or {}).get("lines") or []
        lines = payload.get("lines") or []
        if self.setting("invoice_lines") == "order" and len(order_lines) == len(lines):
            for line, shop_line in zip(lines, order_lines):
                total, discount = Decimal(shop_line.get("total") or "0"), Decimal(shop_line.get("discount") or "0")
                if total > 0 and discount > 0:
                    percent = min(discount * 100 / total, Decimal(100)).quantize(Decimal("0.01"))
                    line["DIP1"] = format(percent.normalize(), "f")
        return payload

    def find_existing(self, item, source, payload):
        # The order a crashed try confirmed carries this invoice number in CUOR: found, so the
        # item says "matched" (create_sales_order would also find it, but report it as created).
        if not payload.get("CUOR"):
            return None
        found = self.infor.find_sales_order(customer_number=payload["CUNO"], order_reference=str(payload["CUOR"]))
        return found["order_number"] if found else None

    def create(self, item, payload):
        # A half-made batch order of an earlier try (a line M3 refused) is completed, not left
        # behind: it is kept on the invoice's binding until the order is confirmed.
        invoice = binding_find(connection=self.freshbooks_connection.pk, object_type="invoice",
                               external_id=item.source_snapshot.get("id"))
        kept = ((invoice.extra if invoice else {}) or {}).get(BATCH_KEY) or {}
        batch = kept if kept.get("cuor") == str(payload["CUOR"]) else None
        try:
            created = self.infor.create_sales_order(
                order_reference=str(payload["CUOR"]), customer_number=payload["CUNO"], currency=payload.get("CUCD"),
                order_date=payload.get("ORDT"), your_reference=payload.get("YREF") or "", batch=batch,
                lines=[{"item_number": line["ITNO"], "quantity": Decimal(str(line["ORQT"])),
                        "unit_price": Decimal(str(line["SAPR"])) if line.get("SAPR") not in (None, "") else None,
                        "description": line.get("ITDS") or "", "discount_percent": line.get("DIP1")}
                       for line in payload.get("lines") or []],
            )
        except FatalError as exc:
            half_made = (exc.detail or {}).get("batch_order") if isinstance(exc.detail, dict) else None
            if half_made and invoice is not None:
                binding_extra_update(binding=invoice, **{BATCH_KEY: {**half_made, "cuor": str(payload["CUOR"])}})
            raise
        if invoice is not None and kept:
            binding_extra_update(binding=invoice, **{BATCH_KEY: None})
        self.batch_completed = created.get("batch_order") if created.get("resumed") else None
        return created["order_number"]

    def update(self, item, external_id, payload):
        """A confirmed M3 order is not rewritten from FreshBooks: changes go through Infor's own order entry."""

    def on_success(self, item, result):
        status = self.infor.get_order_status(order_number=result.external_id)
        binding = binding_find(connection=self.infor_connection.pk, object_type="order",
                               external_id=result.external_id)
        binding_extra_update(binding=binding, order_reference=status["order_reference"],
                             delivered=bool(status["delivered"]) or bool((binding.extra or {}).get("delivered")))
        source = item.source_snapshot
        # The M3 order holds the invoice's product lines (not its discounts, shipping or tax lines): compare those.
        products = sum((decimal_of(line.get("amount")) for line in source.get("lines") or []), Decimal("0"))
        result.extra["facts"] = {
            "source_amount": str(products if source.get("lines") else decimal_of(source.get("amount"))),
            "target_amount": str(status["net_amount"]),
            "source_currency": (source.get("amount") or {}).get("code") or source.get("currency_code", ""),
            "target_currency": status["currency"],
        }
        result.extra["order_status"] = {"lowest": status["lowest_status"], "highest": status["highest_status"]}
        completed = getattr(self, "batch_completed", None)
        if completed:
            result.extra["batch_order"] = completed
            result.extra["message"] = (f"Completed the batch order {completed} an earlier try left unconfirmed and "
                                       f"confirmed it as Infor M3 order {result.external_id}.")
        if after_sale_wanted(self.order(item).get("_order") or {}):  # refunds or a cancellation: the next step
            super().on_success(item, result)


class AfterSaleStep(OrderStep):
    """Refunds → credit notes, cancellation → void / cancel / finding (after_sale.py). Its target is the
    order's after-sale record, keyed by the invoice id, so its payload never touches the invoice binding's
    echo hash."""

    entity_kind = Entity.Kind.ORDER

    def fetch_source(self, item):
        source = self.order(item)
        entity = self.order_entity_id(item)
        source["_invoice_id"] = self.bound(entity, self.freshbooks_connection, "invoice", "FreshBooks invoice")
        m3 = entity_binding_find(entity=entity, connection=self.infor_connection, object_type="order")
        source["_m3_order"] = m3.external_id if m3 else ""
        return source

    def order_entity_id(self, item) -> int | None:
        binding = binding_find(connection=self.flow.source_connection_id, object_type="order",
                               external_id=item.source_id)
        return binding.entity_id if binding else None

    def target_ref(self, item):
        return self.freshbooks_connection.pk, "after_sale"

    def map(self, item, source):
        order = source.get("_order") or {}
        return {"invoice_id": source["_invoice_id"], "m3_order": source["_m3_order"],
                "refunds": [[r["id"], r["amount"]] for r in order.get("refunds") or []],
                "cancelled": bool(order.get("cancelled")), "fulfilled": bool(order.get("fulfilled"))}

    def find_existing(self, item, source, payload):
        return payload["invoice_id"]

    def create(self, item, payload):
        return payload["invoice_id"]

    def update(self, item, external_id, payload):
        order = ShopOrder.from_payload(item.source_snapshot["_order"])
        self._summary = AfterSale(self, order, payload["invoice_id"], payload["m3_order"] or None).apply()

    def on_success(self, item, result):
        result.extra["after_sale"] = getattr(self, "_summary", {})


STEP_HANDLERS: dict[str, type[OrderStep]] = {
    "": FreshBooksClientStep,
    "freshbooks_invoice": FreshBooksInvoiceStep,
    "infor_customer": InforCustomerStep,
    "infor_order": InforOrderStep,
    "after_sale": AfterSaleStep,
}


class OrderToCashFlow(BaseFlow):
    """Flow kind ``shop-order-to-infor-order``: hands each item to its step's handler."""

    entity_kind = Entity.Kind.ORDER
    settings_spec = ORDER_TO_CASH_SETTINGS
    requirements = FlowRequirements(
        # credit notes: shop refunds are credited (flow setting refund_document, default credit_note)
        freshbooks_scopes=("user:clients:read", "user:clients:write", "user:invoices:read", "user:invoices:write",
                           "user:credit_notes:read", "user:credit_notes:write"),
        infor_settings=("m3_customer_template", "m3_order_type", "m3_warehouse"))

    def mapping_steps(self) -> dict[str, str]:
        platform = self.flow.source_connection.system
        return {"freshbooks_client": f"{platform}-order-to-freshbooks-client",
                "freshbooks_invoice": f"{platform}-order-to-freshbooks-invoice",
                "infor_customer": "freshbooks-client-to-infor-customer",
                "infor_order": "freshbooks-invoice-to-infor-sales-order"}

    def for_item(self, item):
        try:
            return STEP_HANDLERS[item.step](self.flow)
        except KeyError:
            raise FatalError(f"Order-to-Cash has no step '{item.step}'. Steps: "
                             f"{', '.join(s or 'start' for s in STEP_HANDLERS)}.") from None

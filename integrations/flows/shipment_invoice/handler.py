"""Flow 5: Infor order delivered → the FreshBooks invoice of that order is updated.

Infor M3 has no webhooks, so the poller (the Infor order change reader,
connectors/infor/changes.py) reads the status of every open order the Order-to-Cash chain
created (OIS100MI GetHead: ORSL lowest and ORST highest line status) and queues an item for
each delivered one. The item maps the status with
``infor-order-to-freshbooks-invoice-status`` (default: all lines delivered, ORSL ≥ 66 →
``action_mark_as_sent``); an empty mapping means "not yet" and the item is skipped.

Flow: source = Infor "order", target = FreshBooks "invoice". Settings:
``delivered_action``: ``mark_as_sent`` (default: apply the mapped payload, e.g. mark sent
without e-mailing), ``send_email`` (e-mail the invoice to the client) or ``none``;
``poll_batch`` (orders read per run, default 200).
"""
from __future__ import annotations

from integrations.connectors.preflight import FlowRequirements

from django.utils import timezone

from integrations.errors import FatalError, SkippableError
from integrations.flows.shipment_invoice.settings import ACTIONS, SHIPMENT_INVOICE_SETTINGS
from integrations.flows.toolkit.bindings import (
    binding_extra_update,
    binding_find,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.models import Entity

class ShipmentInvoiceFlow(BaseFlow):
    entity_kind = Entity.Kind.ORDER
    settings_spec = SHIPMENT_INVOICE_SETTINGS
    default_mapping_set = "infor-order-to-freshbooks-invoice-status"
    requirements = FlowRequirements(freshbooks_scopes=("user:invoices:read", "user:invoices:write"))

    def fetch_source(self, item):
        status = self.infor.get_order_status(order_number=item.source_id)
        return {"ORNO": status["order_number"], "ORSL": status["lowest_status"], "ORST": status["highest_status"],
                "CUOR": status["order_reference"], "CUNO": status["customer_number"], "CUCD": status["currency"],
                "NTAM": str(status["net_amount"]), "delivered": status["delivered"]}

    def source_version(self, source):
        return f"{source['ORSL']}/{source['ORST']}"

    def map(self, item, source):
        payload = self.mapping_apply(source)
        if not payload:
            raise SkippableError(f"Order {source['ORNO']} is not delivered yet (line status {source['ORSL']}–"
                                 f"{source['ORST']}); the next poll looks again.")
        return payload

    def find_existing(self, item, source, payload):
        # Orders the chain created are bound to their invoice; others carry its number in CUOR.
        for invoice in self.fb.invoices.list(search={"invoice_number": source["CUOR"]}, include=(), per_page=5).items:
            return str(invoice["id"])
        raise FatalError(f"Infor order {source['ORNO']} is linked to no FreshBooks invoice (customer order number "
                         f"'{source['CUOR']}' matches none). Link it or fix CUOR, then replay.", field="CUOR")

    def create(self, item, payload):
        raise FatalError("The shipment flow never creates invoices.")

    def update(self, item, external_id, payload):
        action = self.setting("delivered_action")
        if action not in ACTIONS:
            raise FatalError(f"Flow setting delivered_action '{action}' is not one of {', '.join(ACTIONS)}.")
        invoice = self.fb.invoices.get(external_id, include=())
        if action == "none" or invoice.get("v3_status", "draft") != "draft":
            return  # already sent, viewed or paid: nothing to do
        if action == "send_email":
            client = self.fb.clients.get(invoice["customerid"])
            if not client.get("email"):
                raise FatalError(f"FreshBooks client {invoice['customerid']} has no e-mail address to send the "
                                 "invoice to. Add one, then replay.", field="email")
            self.fb.invoices.send_email(external_id, recipients=[client["email"]])
        else:
            self.fb.invoices.update(external_id, payload)

    def on_success(self, item, result):
        binding = binding_find(connection=self.flow.source_connection_id, object_type=self.flow.source_object,
                               external_id=item.source_id)
        binding_extra_update(binding=binding, delivered=True, delivered_seen_at=timezone.now().isoformat())

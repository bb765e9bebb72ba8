"""Infor customers as the client flows see them: matching, polling for changes, and the
M3-field shape the mapping sets are written in."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from integrations.connectors.infor.m3_customers import CUSTOMER_FIELDS
from integrations.flows.toolkit.bindings import binding_find
from integrations.flows.toolkit.infor_polling import infor_flows_poll
from integrations.flows.toolkit.normalise import (
    email_normalise,
    org_name_normalise,
)
from integrations.models import Binding, Cursor, Flow
from integrations.sync.items import sync_item_enqueue
from integrations.triggers.cursors import cursor_advance

POLL_STREAM = "infor-customers"
M3_FIELDS = {plain: m3 for m3, plain in CUSTOMER_FIELDS.items()}
# M3 customer fields (what the mapping sets produce) → InforErpAdapter.upsert_customer arguments.
M3_CUSTOMER_ARGS = {
    "CUNM": "name", "CUA1": "address_line1", "CUA2": "address_line2", "TOWN": "city", "PONO": "postal_code",
    "CSCD": "country", "MAIL": "email", "PHNO": "phone", "CUCL": "customer_group", "CUCD": "currency",
    "PYCD": "payment_method", "TEPY": "payment_terms", "CUTM": "template",
}


def customer_as_m3(customer: dict) -> dict:
    """The adapter's plain customer dict in M3 field names (CUNO, CUNM, …, LMTS)."""
    return {M3_FIELDS[k]: v for k, v in customer.items() if k in M3_FIELDS}


def customer_arguments(payload: dict) -> dict:
    return {arg: str(payload[field]) for field, arg in M3_CUSTOMER_ARGS.items() if payload.get(field) not in (None, "")}


def infor_customer_match(adapter, *, reference: str = "", email: str | None = None, name: str | None = None,
                         connection_id: int | None = None) -> dict | None:
    """The Infor customer for a FreshBooks client: by reference (YREF = client id), then e-mail,
    then organisation name, normalised as flow 1 does (normalise.py: "ACME Inc." is "Acme").
    One pass over the customer list (M3 has no search by these fields).

    E-mail and name only match customers not yet linked to another record (``connection_id``
    names the Infor connection whose bindings say so): two people of one company are two
    FreshBooks clients and must not share one customer by accident.
    """
    customers = adapter.list_changed_customers(since=None)["customers"]
    if reference:
        for customer in customers:
            if customer.get("reference", "") == reference:
                return customer
    taken = set(Binding.objects.filter(connection_id=connection_id, object_type="customer")
                .values_list("external_id", flat=True)) if connection_id else set()
    free = [c for c in customers if c["customer_number"] not in taken]
    for wanted, key in ((email_normalise(email), lambda c: email_normalise(c.get("email"))),
                        (org_name_normalise(name), lambda c: org_name_normalise(c.get("name")))):
        if wanted:
            for customer in free:
                if key(customer) == wanted:
                    return customer
    return None


def infor_customers_poll(*, flow: Flow, now=None) -> dict:
    """Enqueue every Infor customer changed since the cursor (LMTS), skipping our own writes.

    The cursor moves only after the items are committed; customers whose change stamp equals
    the one we stored for our own write (or the last one synced) are echoes, not changes.
    """
    from integrations.connectors.infor.adapter import infor_adapter_for

    started = now or timezone.now()
    cursor, _ = Cursor.objects.get_or_create(connection=flow.source_connection, stream=POLL_STREAM)
    changed = infor_adapter_for(flow.source_connection).list_changed_customers(since=cursor.value or None)
    queued = echoes = 0
    with transaction.atomic():
        for customer in changed["customers"]:
            binding = binding_find(connection=flow.source_connection_id, object_type=flow.source_object,
                                   external_id=customer["customer_number"])
            if binding and binding.remote_version and binding.remote_version == customer["changed_at"]:
                echoes += 1
                continue
            sync_item_enqueue(flow=flow, source_object=flow.source_object, source_id=customer["customer_number"],
                              hint={"reason": "poll", "changed_at": customer["changed_at"]}, received_at=started)
            queued += 1
        if changed["watermark"]:
            cursor_advance(cursor=cursor, value=changed["watermark"])
    return {"queued": queued, "echoes": echoes, "watermark": changed["watermark"]}


def infor_customers_poll_all() -> dict:
    return infor_flows_poll(kind="infor-customer-to-freshbooks-client", poll=infor_customers_poll)

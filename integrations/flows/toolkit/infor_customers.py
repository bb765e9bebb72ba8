"""Infor customers as the client flows see them: matching, and the M3-field shape the mapping
sets are written in. (Changed customers are polled by the one poller: connectors/infor/changes.py.)"""
from __future__ import annotations

from integrations.connectors.infor.m3_customers import CUSTOMER_FIELDS
from mappings.normalise import email_normalise, org_name_normalise
from integrations.models import Binding

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

"""Shopify's mandatory privacy topics: answered 200 and acted on.

``customers/redact`` (a customer asked to be forgotten, or stopped buying for long enough):
that customer's personal data — names, e-mail addresses, phone numbers, addresses — is removed
from everything Ledgerlink stored about their orders: the deliveries and reads of those orders
(InboundEvent body and payload), the sync items and dead letters of their chains (source
snapshot, mapped payload, result, hint, error text), and what was written for them (the
bindings' last written payload). Amounts, currencies, SKUs and every id stay, so the books still
add up. ``shop/redact`` (48 hours after the shop uninstalled the app) does the same for every
order of the connection. ``customers/data_request`` is recorded as a finding for finance, who
answer the shop owner. The privacy delivery itself is stored without its body (it names the customer).

Payloads: ``{"shop_id", "shop_domain", "customer": {"id", "email", "phone"}, "orders_to_redact": [ids]}``,
``{"shop_id", "shop_domain", "orders_requested": [ids], "customer": {…}, "data_request": {"id"}}``,
``{"shop_id", "shop_domain"}``.
"""
from __future__ import annotations

import json
from decimal import Decimal

from django.db.models import Q

from integrations.connectors.shop.order import OrderInvalid, json_loads_exact, required_id, text
from integrations.models import Binding, InboundEvent, SyncItem
from monitoring.findings import Found, findings_sync
from monitoring.models import SyncAttempt

PRIVACY_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
DATA_REQUEST_CHECK = "shop_data_request"
REDACTED = ""
# Keys holding personal data wherever they appear in a stored payload or body.
PERSONAL_KEYS = {
    "email", "contact_email", "customer_email", "phone", "first_name", "last_name", "company", "address1", "address2",
    "address_1", "address_2", "address_line1", "address_line2", "city", "zip", "postcode", "postal_code",
    "latitude", "longitude", "note", "browser_ip", "customer_ip_address", "customer_user_agent",
    "organization", "fname", "lname", "p_street", "p_street2", "p_city", "p_code", "home_phone", "mob_phone",
    "bus_phone", "fax", "username", "CUNM", "CUA1", "CUA2", "CUA3", "CUA4", "PHNO", "TFNO", "MAIL",
}
# ... and ``name`` only inside these (elsewhere a name is a product's or an order's "#1001").
PERSONAL_CONTAINERS = {"customer", "billing_address", "shipping_address", "billing", "shipping", "default_address",
                       "addresses", "contacts"}


def _scrub(value, *, personal_names: bool = False, found: set[str] | None = None):
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            if isinstance(inner, (str, int, float, Decimal)) and not isinstance(inner, bool) and (
                    key in PERSONAL_KEYS or (personal_names and key == "name")):
                if found is not None and str(inner).strip():
                    found.add(str(inner).strip())
                out[key] = REDACTED
            else:
                out[key] = _scrub(inner, personal_names=key in PERSONAL_CONTAINERS, found=found)
        return out
    if isinstance(value, list):
        return [_scrub(inner, personal_names=personal_names, found=found) for inner in value]
    return value


def _scrub_text(text: str, words: set[str]) -> str:
    # Only words with letters: a zip code or phone number searched for in free text would also
    # match inside amounts and ids, which must stay (those are removed by their keys only).
    for word in sorted(words, key=len, reverse=True):
        if len(word) >= 3 and any(ch.isalpha() for ch in word):
            text = text.replace(word, "[redacted]")
    return text


def _scrub_values(value, words: set[str]):
    """Every text that contains a personal value found elsewhere (a client's organisation written
    to FreshBooks as ``current_organization``, an Infor customer's name), whatever its key."""
    if isinstance(value, dict):
        return {key: _scrub_values(inner, words) for key, inner in value.items()}
    if isinstance(value, list):
        return [_scrub_values(inner, words) for inner in value]
    if isinstance(value, str) and value:
        return _scrub_text(value, words)
    return value


def _body_data(body: str):
    try:
        return json.loads(body, parse_float=Decimal) if body else None
    except ValueError:
        return None


JSON_FIELDS = {InboundEvent: ("payload",), SyncItem: ("source_snapshot", "mapped_payload", "result", "hint"),
               Binding: ("last_written_payload", "extra")}


def _redact(events, items, bindings) -> dict:
    """Scrub the rows: first collect the personal values their personal keys hold, then remove
    those keys' values and every other occurrence of the values (free text and other keys).
    Amounts, currencies, SKUs and ids stay; a binding keyed by an e-mail address gets a neutral key."""
    rows = [*events, *items, *bindings]
    found: set[str] = set()
    for row in rows:
        for name in JSON_FIELDS[type(row)]:
            _scrub(getattr(row, name), found=found)
        if isinstance(row, InboundEvent) and (data := _body_data(row.body)) is not None:
            _scrub(data, found=found)
    found |= {word.lower() for word in found if "@" in word}  # bindings keep e-mails normalised
    for row in rows:
        for name in JSON_FIELDS[type(row)]:
            setattr(row, name, _scrub_values(_scrub(getattr(row, name)), found))
        if isinstance(row, InboundEvent):
            data = _body_data(row.body)
            # decimals come back as exact text: every reader of stored bodies reads them as text
            row.body = (json.dumps(_scrub_values(_scrub(data), found), default=str) if data is not None
                        else _scrub_text(row.body, found))
        if isinstance(row, SyncItem):
            row.last_error = _scrub_text(row.last_error or "", found)
        if isinstance(row, Binding) and row.external_id in found:
            row.external_id = f"redacted:{row.pk}"
        fields = [*JSON_FIELDS[type(row)], *{InboundEvent: ["body"], SyncItem: ["last_error"],
                                             Binding: ["external_id"]}[type(row)]]
        row.save(update_fields=fields)
    # each attempt's account of what happened (a dead letter's reason may quote the customer)
    for attempt in SyncAttempt.objects.filter(sync_item_id__in=[item.pk for item in items]).exclude(message=""):
        cleaned = _scrub_text(attempt.message, found)
        if cleaned != attempt.message:
            SyncAttempt.objects.filter(pk=attempt.pk).update(message=cleaned)
    return {"events": len(events), "items": len(items), "bindings": len(bindings)}


def _rows_of_orders(connection, order_ids: set[str], customer_id: str = "", emails: set[str] = frozenset()):
    events = InboundEvent.objects.filter(connection=connection, object_type="order")
    match = Q(object_id__in=order_ids)
    if customer_id:
        match |= Q(payload__order__customer__id=customer_id)
    events = list(events.filter(match))
    order_ids = order_ids | {e.object_id for e in events}
    emails = {*emails, *(str(((e.payload or {}).get("order") or {}).get("customer", {}).get("email", "")).lower()
                         for e in events)} - {""}
    items = list(SyncItem.objects.filter(flow__source_connection=connection, source_id__in=order_ids))
    # the orders' entities (invoice, sales order) and the customer's (client, Infor customer)
    entities = Binding.objects.filter(connection=connection).filter(
        Q(object_type="order", external_id__in=order_ids) | Q(object_type="customer", external_id__in=emails)
    ).values_list("entity_id", flat=True)
    bindings = list(Binding.objects.filter(entity_id__in=list(entities)))
    return events, items, bindings


def customer_redact(connection, data: dict) -> dict:
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    order_ids = {required_id({"id": o}, where="orders_to_redact") for o in data.get("orders_to_redact") or []}
    customer_id = str(customer.get("id") or "")
    emails = {str(customer.get("email") or "").strip().lower()} - {""}
    return _redact(*_rows_of_orders(connection, order_ids, customer_id, emails))


def shop_redact(connection) -> dict:
    events = list(InboundEvent.objects.filter(connection=connection))
    items = list(SyncItem.objects.filter(flow__source_connection=connection))
    entities = Binding.objects.filter(connection=connection).values_list("entity_id", flat=True)
    return _redact(events, items, list(Binding.objects.filter(entity_id__in=list(entities))))


def data_request_record(connection, data: dict) -> None:
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    request_id = text(data.get("data_request") if isinstance(data.get("data_request"), dict) else {}, "id")
    orders = [str(o) for o in data.get("orders_requested") or []]
    subject = f"{connection.pk}:{request_id or customer.get('id') or 'unknown'}"
    findings_sync(check_name=DATA_REQUEST_CHECK, examined=None, found=[Found(
        subject=subject, title=f"Customer data request from {connection.name} (customer {customer.get('id', '?')})",
        explanation=("The shop forwarded a customer's request for their data (Shopify customers/data_request). "
                     "Send the shop owner what Ledgerlink holds about these orders: see the timeline of each."),
        details={"connection": connection.name, "customer_id": str(customer.get("id", "")),
                 "data_request_id": request_id, "orders_requested": orders},
        records=[{"label": f"Order {o}", "system": connection.system, "object_type": "order", "external_id": o}
                 for o in orders])])


def privacy_payload(body: bytes, topic: str) -> dict:
    """The privacy delivery, checked: ids where ids belong (OrderInvalid says what is wrong)."""
    data = json_loads_exact(body)
    for key in ("orders_to_redact", "orders_requested"):
        if data.get(key) is not None and not isinstance(data.get(key), list):
            raise OrderInvalid(f"The {topic} delivery's {key} must be a JSON list.")
        for position, value in enumerate(data.get(key) or [], start=1):
            required_id({"id": value}, where=f"{key} entry {position}")
    return data


def privacy_act(connection, topic: str, data: dict) -> dict:
    if topic == "customers/redact":
        return customer_redact(connection, data)
    if topic == "shop/redact":
        return shop_redact(connection)
    data_request_record(connection, data)
    return {}


def privacy_summary(data: dict) -> dict:
    """What is stored of the privacy delivery: ids only."""
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    return {"shop_id": str(data.get("shop_id", "")), "customer_id": str(customer.get("id", "")),
            "orders": [str(o) for o in (data.get("orders_to_redact") or data.get("orders_requested") or [])]}

"""A record's name as finance says it ("Initrode — Opportunity 'Q4 licences'"), read from the record
itself: what entities, bindings and search results are labelled with instead of "Deal #4".

One reader for every system: the keys below are where Salesforce, FreshBooks, Infor M3 and the shops
keep an organisation, a record's own name, its document number and a person's name.
"""
from __future__ import annotations

ORGANISATION_KEYS = ("organization", "company", "vendor", "CUNM", "customer_name")
NAME_KEYS = ("Name", "name", "title", "description")
NUMBER_KEYS = ("invoice_number", "order_number", "number", "ORNO", "po_number")
PERSON_KEYS = (("fname", "lname"), ("first_name", "last_name"), ("FirstName", "LastName"))
LABEL_MAX = 200


def _text(value) -> str:
    return str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _first(record: dict, keys) -> str:
    return next((_text(record.get(key)) for key in keys if _text(record.get(key))), "")


def _organisation(record: dict) -> str:
    account = record.get("Account")  # an Opportunity carries its Account
    if isinstance(account, dict) and _text(account.get("Name")):
        return _text(account["Name"])
    for nested in ("billing", "customer"):  # a shop order's buyer
        inner = record.get(nested)
        if isinstance(inner, dict) and _first(inner, ("company",)):
            return _first(inner, ("company",))
    return _first(record, ORGANISATION_KEYS)


def _person(record: dict) -> str:
    for first, last in PERSON_KEYS:
        name = " ".join(part for part in (_text(record.get(first)), _text(record.get(last))) if part)
        if name:
            return name
    return ""


def record_label(object_type: str, record: dict | None) -> str:
    """"<organisation> — <Object> '<name>'" (or its number), from what the record holds; "" when it
    holds nothing to name it by."""
    if not isinstance(record, dict) or not record:
        return ""
    what = object_type.replace("_", " ").strip().capitalize() if object_type else "Record"
    organisation = _organisation(record)
    name = _first(record, NAME_KEYS) or _person(record)
    number = _first(record, NUMBER_KEYS)
    if name and name != organisation:
        own = f"{what} '{name}'"
    elif number:
        own = f"{what} {number}"
    else:
        own = what if organisation else (f"{what} {_text(record.get('email'))}" if _text(record.get("email")) else "")
    label = f"{organisation} — {own}" if organisation else own
    return label[:LABEL_MAX]


def entity_label_store(*, entity, object_type: str, record: dict | None) -> None:
    """Name the entity after the record just synced (kept up to date when the name changes)."""
    label = record_label(object_type, record)
    if entity is not None and label and entity.label != label:
        entity.label = label
        type(entity).objects.filter(pk=entity.pk).update(label=label)

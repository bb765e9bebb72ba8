"""The primary Contact of an Account written from a FreshBooks client (flow 1, FreshBooks →
Salesforce), after the Account. Bound to the same entity as the Account and the client, so
the next change updates the same Contact; unchanged content is not written again.

The steps are separate so the backfill can take them for 200 clients at a time: payload (the
client's person, mapped; checked for conflicts with the Account's payload, before anything is
written: ClientToAccountFlow.payloads_resolve), plan (what to write, or nothing), find (an
existing Contact of the Account with the client's email), write, remember (binding and hash,
for echo suppression and the next conflict check).

The other direction reads the primary Contact into the client; primary_contact_agreed binds
it and keeps the values it read as the pair's last agreement, so this direction's conflict
check counts a sync either way (conflicts.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from integrations.connectors.salesforce.soql import soql_format
from integrations.flows.toolkit.bindings import (
    binding_ensure,
    entity_binding_find,
)
from integrations.flows.toolkit.conflicts import agreed_store
from mappings.normalise import email_normalise
from integrations.models import Binding, Entity
from integrations.sync.hashing import payload_hash

CONTACT_MAPPING = "freshbooks-client-to-salesforce-contact"
CONTACT_PREFIX = "Contact."  # the Contact's fields in a conflict (conflicts.py): "Contact.Email"


@dataclass
class ContactWrite:
    payload: dict
    content: str  # payload_hash(payload)
    binding: Binding | None  # the Contact already bound to the client's entity


def primary_contact_payload(*, handler, client: dict) -> dict | None:
    """The client's person as the Contact's fields; None for an organisation with no person."""
    if not any(client.get(k) for k in ("fname", "lname", "email")):
        return None
    return handler.mapping_apply(client, step="contact", default=CONTACT_MAPPING)


def primary_contact_plan(*, handler, item, payload: dict | None) -> ContactWrite | None:
    """What to write to the client's primary Contact (``payload``, as the conflict policy left
    it); None when there is nothing to write (no person on the client, or the Contact already
    holds this content)."""
    if payload is None:
        return None
    binding = entity_binding_find(entity=item.entity, connection=handler.salesforce_connection, object_type="Contact")
    content = payload_hash(payload)
    if binding and binding.last_written_hash == content:
        return None
    return ContactWrite(payload, content, binding)


def primary_contact_remember(*, handler, item, plan: ContactWrite, contact_id: str) -> None:
    binding = plan.binding or binding_ensure(connection=handler.salesforce_connection, object_type="Contact",
                                             external_id=contact_id, entity=item.entity, kind=Entity.Kind.CUSTOMER)
    binding.last_written_hash, binding.last_written_payload = plan.content, plan.payload
    binding.last_written_at = timezone.now()
    binding.save(update_fields=["last_written_hash", "last_written_payload", "last_written_at", "updated_at"])


def primary_contact_sync(*, handler, item, account_id: str, payload: dict | None) -> None:
    """Create or update the Account's primary Contact from the client."""
    plan = primary_contact_plan(handler=handler, item=item, payload=payload)
    if plan is None:
        return
    sf, key = handler.sf, contact_key(account_id, plan.payload.get("Email"))
    contact_id = plan.binding.external_id if plan.binding else contacts_find(sf, [key]).get(key)
    if contact_id:
        sf.update("Contact", contact_id, plan.payload)
    else:
        contact_id = sf.create("Contact", {**plan.payload, "AccountId": account_id})
    primary_contact_remember(handler=handler, item=item, plan=plan, contact_id=contact_id)


def primary_contact_agreed(*, handler, entity: Entity, contact: dict) -> None:
    """The Account → client direction read this primary Contact and the client agrees with it
    now: bind it to the entity when it has no Contact yet (the client → Account direction then
    updates this Contact, not one found by e-mail), and keep its values as the baseline."""
    binding = entity_binding_find(entity=entity, connection=handler.salesforce_connection, object_type="Contact") or \
        binding_ensure(connection=handler.salesforce_connection, object_type="Contact", external_id=contact["Id"],
                       entity=entity, kind=Entity.Kind.CUSTOMER)
    if binding.entity_id == entity.pk and binding.external_id == str(contact["Id"]):
        agreed_store(binding, contact)


def contact_key(account_id: str, email: str | None) -> tuple[str, str]:
    return account_id, email_normalise(email)


def contacts_find(sf, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Existing Contacts by contact_key, for match before create: one query for all the keys
    (an Account's Contact with the client's email is the client's person)."""
    pairs = {key for key in keys if key[1]}
    if not pairs:
        return {}
    soql = soql_format("SELECT Id, AccountId, Email FROM Contact WHERE AccountId IN {accounts} AND Email IN {emails} "
                       "ORDER BY CreatedDate", accounts=sorted({a for a, _ in pairs}), emails=sorted({e for _, e in pairs}))
    found: dict[tuple[str, str], str] = {}
    for row in sf.query_all(soql):
        key = contact_key(row["AccountId"], row["Email"])
        if key in pairs:
            found.setdefault(key, row["Id"])
    return found

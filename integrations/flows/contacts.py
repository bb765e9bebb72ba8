"""The primary Contact of an Account written from a FreshBooks client (flow 1, FreshBooks →
Salesforce), after the Account. Bound to the same entity as the Account and the client, so
the next change updates the same Contact; unchanged content is not written again."""
from __future__ import annotations

from django.utils import timezone

from ..connectors.salesforce.soql import soql_format
from ..models import Entity
from ..sync.hashing import payload_hash
from .common import binding_ensure, email_normalise, entity_binding

CONTACT_MAPPING = "freshbooks-client-to-salesforce-contact"


def primary_contact_sync(*, handler, item, account_id: str) -> str | None:
    """Create or update the Account's primary Contact from the client; returns its id."""
    client = item.source_snapshot or {}
    if not any(client.get(k) for k in ("fname", "lname", "email")):
        return None  # an organisation with no person: no Contact to write
    payload = handler.apply_mapping(client, setting="contact_mapping_set", default=CONTACT_MAPPING)
    connection, sf = handler.salesforce_connection, handler.sf
    binding = entity_binding(entity=item.entity, connection=connection, object_type="Contact")
    content = payload_hash(payload)
    if binding and binding.last_written_hash == content:
        return binding.external_id
    contact_id = binding.external_id if binding else _contact_find(sf, account_id, payload.get("Email"))
    if contact_id:
        sf.update("Contact", contact_id, payload)
    else:
        contact_id = sf.create("Contact", {**payload, "AccountId": account_id})
    binding = binding or binding_ensure(connection=connection, object_type="Contact", external_id=contact_id,
                                        entity=item.entity, kind=Entity.Kind.CUSTOMER)
    binding.last_written_hash, binding.last_written_payload, binding.last_written_at = content, payload, timezone.now()
    binding.save(update_fields=["last_written_hash", "last_written_payload", "last_written_at", "updated_at"])
    return contact_id


def _contact_find(sf, account_id: str, email: str | None) -> str | None:
    """An existing Contact of the Account with the client's email (match before create)."""
    email = email_normalise(email)
    if not email:
        return None
    rows = sf.query(soql_format("SELECT Id FROM Contact WHERE AccountId = {account} AND Email = {email} LIMIT 1",
                                account=account_id, email=email))["records"]
    return rows[0]["Id"] if rows else None

"""The FreshBooks client of a Salesforce Account, found or created by flow 1's rules: one step that
flow 1 (Account → client, its backfill) and flow 2 (the invoice's client) share, so they cannot differ."""
from __future__ import annotations

from django.utils import timezone

from integrations.flows.toolkit.bindings import (
    binding_ensure,
    binding_find,
    entity_binding_find,
)
from integrations.flows.toolkit.conflicts import (
    agreed_store,
)
from integrations.flows.toolkit.deletes import (
    salesforce_relinked,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.matching import (
    CLIENT_REF_FIELD,
    freshbooks_client_match,
)
from integrations.models import Entity
from integrations.sync.hashing import payload_hash
from integrations.locking import binding_lock


def freshbooks_client_for_account(handler: BaseFlow, *, account: dict,
                                  contact: dict | None, index=None) -> tuple[str, object]:
    """The FreshBooks client billing this Account, found or created (flow 1's rules), and the
    customer entity both are bound to. ``index`` (a FreshBooksClientIndex) answers the matching
    questions from memory in the backfill."""
    sf_conn = handler.salesforce_connection
    # The Account → client flow locks the same key: one of the two finds the other's client
    # instead of both creating one (LockBusy is retried shortly).
    with binding_lock(f"{sf_conn.pk}:Account:{account['Id']}"):
        return _client_for_account(handler, account=account, contact=contact, index=index)


def _client_for_account(handler, *, account: dict, contact: dict | None, index) -> tuple[str, object]:
    sf_conn, fb_conn = handler.salesforce_connection, handler.freshbooks_connection
    account_binding = binding_find(connection=sf_conn, object_type="Account", external_id=account["Id"])
    bound = entity_binding_find(entity=account_binding.entity if account_binding else None, connection=fb_conn,
                                object_type="client")
    if bound:
        if index is None:
            client_billing_contact_fill(handler, client_id=bound.external_id, account=account, contact=contact)
        return bound.external_id, account_binding.entity
    email = (contact or {}).get("Email")
    ask = dict(client_id=account.get(CLIENT_REF_FIELD), email=email, name=account.get("Name"))
    client = index.match(**ask) if index is not None else freshbooks_client_match(handler.fb, **ask)
    written = None
    if client is None:
        record = {**account, "Contacts": {"totalSize": 1, "done": True, "records": [contact] if contact else []}}
        written = handler.mapping_apply(record, step="client",
                                        default="salesforce-account-to-freshbooks-client")
        client = handler.fb.clients.create(written)
        if index is not None:
            index.add(client)
    client_id = str(client["id"])
    if written is None and index is None:  # a matched client may lack what the invoice is sent to
        client_billing_contact_fill(handler, client_id=client_id, account=account, contact=contact)
    client_binding = binding_find(connection=fb_conn, object_type="client", external_id=client_id)
    entity = (account_binding.entity if account_binding else None) or (client_binding.entity if client_binding else None)
    client_binding = client_binding or binding_ensure(connection=fb_conn, object_type="client", external_id=client_id,
                                                      entity=entity, kind=Entity.Kind.CUSTOMER)
    if written is not None:  # what we wrote, so the client's change event is known as our own echo
        client_binding.last_written_payload, client_binding.last_written_at = written, timezone.now()
        client_binding.last_written_hash = payload_hash(written)
        client_binding.save(update_fields=["last_written_payload", "last_written_hash", "last_written_at", "updated_at"])
    if account_binding is None:
        account_binding = binding_ensure(connection=sf_conn, object_type="Account", external_id=account["Id"],
                                         entity=client_binding.entity)
        client_relinked(handler, client_id=client_id)
    if written is not None:  # the client was made from these values: the pair's baseline for conflicts
        agreed_store(account_binding, account)
    if str(account.get(CLIENT_REF_FIELD) or "") != client_id and index is None:
        handler.sf.update("Account", account["Id"], {CLIENT_REF_FIELD: client_id})  # flow 1's external reference
    return client_id, account_binding.entity


# The client's billing contact, as the Account → client mapping fills it from the primary Contact.
BILLING_CONTACT_FIELDS = ("email", "fname", "lname")


def client_billing_contact_fill(handler: BaseFlow, *, client_id: str, account: dict, contact: dict | None) -> dict:
    """Fill what the client's billing contact lacks (e-mail, first and last name) from the
    Opportunity's primary Contact before it is invoiced; never overwrite what the client has
    (FreshBooks owns the billing e-mail once set). Returns what was written. Remembered as our
    own write, so the client's change event is known as our echo."""
    if not contact or not any(contact.get(k) for k in ("Email", "FirstName", "LastName")):
        return {}
    record = {**account, "Contacts": {"totalSize": 1, "done": True, "records": [contact]}}
    mapped = handler.mapping_apply(record, step="client", default="salesforce-account-to-freshbooks-client")
    current = handler.fb.clients.get(client_id)
    missing = {k: mapped[k] for k in BILLING_CONTACT_FIELDS
               if mapped.get(k) not in (None, "") and current.get(k) in (None, "")}
    if not missing:
        return {}
    handler.fb.clients.update(client_id, missing)
    binding = binding_find(connection=handler.freshbooks_connection, object_type="client", external_id=client_id)
    if binding is not None:
        binding.last_written_payload = {**(binding.last_written_payload or {}), **missing}
        binding.last_written_hash, binding.last_written_at = payload_hash(binding.last_written_payload), timezone.now()
        binding.save(update_fields=["last_written_payload", "last_written_hash", "last_written_at", "updated_at"])
    return missing


def client_relinked(handler: BaseFlow, *, client_id: str) -> None:
    """An Account is linked to this client (again): forget a deleted Account (flows/deletes.py)."""
    binding = binding_find(connection=handler.freshbooks_connection, object_type="client", external_id=client_id)
    salesforce_relinked(binding=binding, unarchive=lambda: handler.fb.clients.update(client_id, {"vis_state": 0}))

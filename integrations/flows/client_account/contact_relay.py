"""Flow 1's Contact relay: a change of an Account's primary Contact reaches its FreshBooks client.

The client is made from the Account and its primary Contact (``AccountToClientFlow``), but a
Contact change is not an Account change: it fires no Account change event and does not move
the Account's SystemModstamp, so a Contact added after the Account (walkthrough 1: Account,
then Contact, then Opportunity) left the client without an e-mail. This flow reads Contacts
(change events and polls, like any Salesforce-sourced flow) and, for an Account's primary
Contact, queues that Account on the enabled Account → client flow of the same connections,
which reads the Account with its Contacts fresh and updates the client. It writes nothing itself.
"""
from __future__ import annotations

from integrations.connectors.salesforce.soql import soql_format
from integrations.errors import SkippableError
from integrations.flows.toolkit.bindings import binding_find, entity_binding_find
from integrations.flows.toolkit.handler import BaseFlow
from integrations.models import Flow, SyncItem
from integrations.sync.handler import WriteResult
from integrations.sync.items import sync_item_enqueue

ACCOUNT_TO_CLIENT = "salesforce-account-to-freshbooks-client"


class ContactToClientFlow(BaseFlow):
    """Flow kind ``salesforce-contact-to-freshbooks-client``: source Salesforce "Contact"."""

    binds_source = False  # the Contact is bound by the Account → client flow, to the Account's entity

    def lock_key(self, item):
        return f"{self.flow.source_connection_id}:Contact:{item.source_id}"

    def source_version(self, source: dict) -> str:
        return source.get("SystemModstamp") or ""

    def fetch_source(self, item: SyncItem) -> dict:
        rows = self.sf.query(soql_format("SELECT Id, AccountId, Email, SystemModstamp FROM Contact WHERE Id = {id}",
                                         id=item.source_id))["records"]
        if not rows:
            raise SkippableError(f"Salesforce has no Contact {item.source_id} any more; the client is left as is.")
        return {k: v for k, v in rows[0].items() if k != "attributes"}

    def relay(self, item: SyncItem, source: dict) -> WriteResult:
        account_id = source.get("AccountId")
        if not account_id:
            raise SkippableError(f"Contact {item.source_id} belongs to no Account, so it bills no FreshBooks client.")
        primary = self.primary_contact_id(account_id)
        if primary != source["Id"]:
            raise SkippableError(f"Contact {item.source_id} is not the primary Contact of Account {account_id} "
                                 f"(Contact {primary} is); the client is filled from the primary one.")
        flow = Flow.objects.filter(kind=ACCOUNT_TO_CLIENT, enabled=True,
                                   source_connection_id=self.flow.source_connection_id,
                                   target_connection_id=self.flow.target_connection_id).order_by("pk").first()
        if flow is None:
            raise SkippableError("No enabled Account → client flow between these connections reads the Account.")
        queued, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id=account_id,
                                      hint={"after": "primary_contact_change", "contact": source["Id"]})
        return WriteResult(account_id, "relayed", {
            "flow": flow.name, "item": queued.pk,
            "message": f"Primary Contact changed: Account {account_id} queued on {flow.name} (item {queued.pk})."})

    def primary_contact_id(self, account_id: str) -> str | None:
        """The Contact the Account → client flow reads first: the one bound to the Account's
        entity, else the Account's oldest (account_read's order)."""
        account = binding_find(connection=self.flow.source_connection_id, object_type="Account", external_id=account_id)
        bound = entity_binding_find(entity=account.entity_id if account else None,
                                    connection=self.flow.source_connection_id, object_type="Contact")
        ids = [row["Id"] for row in self.sf.query(soql_format(
            "SELECT Id FROM Contact WHERE AccountId = {id} ORDER BY CreatedDate", id=account_id))["records"]]
        if bound and bound.external_id in ids:
            return bound.external_id
        return ids[0] if ids else None

    def delete(self, item: SyncItem, binding) -> WriteResult:
        raise SkippableError(f"Contact {item.source_id} was deleted in Salesforce; the FreshBooks client keeps its "
                             "billing contact (Ledgerlink never clears it because a CRM record went away).")

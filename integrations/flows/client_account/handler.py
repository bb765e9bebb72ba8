"""Flow 1: FreshBooks client ⇄ Salesforce Account + primary Contact, both ways.

Each direction is a handler on the shared engine:
    salesforce-account-to-freshbooks-client   Account (+ its primary Contact) → client
    freshbooks-client-to-salesforce-account   client → Account (+ primary Contact)

- Match before create: binding (engine) → Account.FreshBooks_Client_Id__c → email →
  normalised organisation name (matching.py); never a duplicate.
- Echo suppression: a source record whose fields still hold exactly what the other
  direction last wrote there is our own write coming back, and is skipped (Salesforce change
  events from our own API calls are already dropped by the receiver, by changeOrigin).
- Conflicts (both sides changed since the last sync) follow the flow's policy (conflicts.py).
"""
from __future__ import annotations

import re
from datetime import timedelta


from integrations.connectors.freshbooks.values import accounting_datetime
from integrations.connectors.salesforce.errors import RecordNotFound
from integrations.connectors.salesforce.replication import sf_datetime_parse
from integrations.connectors.salesforce.soql import soql_format
from integrations.connectors.preflight import FlowRequirements
from integrations.errors import ConflictHeld, FatalError, SkippableError
from integrations.flows.client_account.contacts import (
    CONTACT_MAPPING,
    CONTACT_PREFIX,
    primary_contact_agreed,
    primary_contact_payload,
    primary_contact_sync,
)
from integrations.flows.toolkit.bindings import (
    binding_find,
    entity_binding_find,
)
from integrations.flows.client_account.settings import ACCOUNT_TO_CLIENT_SETTINGS, CLIENT_TO_ACCOUNT_SETTINGS
from integrations.flows.toolkit.conflicts import (
    ConflictPair,
    agreed_store,
    conflict_baseline,
    conflicts_resolve,
)
from integrations.flows.toolkit.deletes import (
    delete_setting,
    salesforce_delete_confirm,
    salesforce_deleted_note,
    salesforce_deleted_words,
    salesforce_unlink,
)
from integrations.flows.toolkit.clients import client_relinked
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.scope import scope_check
from integrations.flows.toolkit.matching import (
    CLIENT_REF_FIELD,
    freshbooks_client_match,
    salesforce_account_match,
)
from integrations.flows.toolkit.values import value_same
from integrations.models import Binding, SyncItem
from integrations.sync.handler import WriteResult
from mappings.models import FieldMapping

# How far the other system's clock may run ahead of ours when it stamps our own write.
ECHO_CLOCK_SKEW = timedelta(seconds=2)
ACCOUNT_FIELDS = ["Id", "Name", "Phone", "Website", "BillingStreet", "BillingCity", "BillingState",
                  "BillingPostalCode", "BillingCountry", CLIENT_REF_FIELD, "LastModifiedDate", "SystemModstamp"]
# The primary Contact as the Account → client direction reads it: what the client is mapped
# from, the Contact's change time (newest_wins) and every field the default client → Contact
# mapping writes, so the values both sides agreed on (the other direction's baseline) are complete.
CONTACT_FIELDS = ["Id", "FirstName", "LastName", "Email", "Phone", "MailingStreet", "MailingCity", "MailingState",
                  "MailingPostalCode", "MailingCountry", "LastModifiedDate"]
SIMPLE_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONTACT_PATH = re.compile(r"^Contacts\.records\[0\]\.([A-Za-z_][A-Za-z0-9_]*)$")


def account_read(sf, account_id: str, *, primary_contact_id: str = "") -> dict | None:
    """The Account with its contacts (the primary one first: ``Contacts.records[0]``), one query."""
    multi = ["CurrencyIsoCode"] if sf.connection.settings.get("multi_currency") else []
    soql = soql_format(f"SELECT {', '.join(ACCOUNT_FIELDS + multi)}, (SELECT {', '.join(CONTACT_FIELDS)} FROM Contacts "
                       "ORDER BY CreatedDate) FROM Account WHERE Id = {id}", id=account_id)
    rows = sf.query(soql)["records"]
    if not rows:
        return None
    record = {k: v for k, v in rows[0].items() if k != "attributes"}
    contacts = [{k: v for k, v in c.items() if k != "attributes"} for c in sf.children(rows[0], "Contacts")]
    contacts.sort(key=lambda c: c["Id"] != primary_contact_id)
    record["Contacts"] = {"totalSize": len(contacts), "done": True, "records": contacts}
    return record


def primary_contact_of(account: dict) -> dict | None:
    """The primary Contact in an Account read by account_read."""
    return next(iter((account.get("Contacts") or {}).get("records") or []), None)


def mapped_from(mapping_set) -> dict[str, tuple[str, str]]:
    """Target field → (source record, field) for the fields mapped from one plain source field:
    ("", field) on the source record itself, ("Contact", field) on an Account's primary Contact.
    To write a value kept from the target back where it came from."""
    found = {}
    for fm in FieldMapping.objects.filter(mapping_set=mapping_set, parent=None).exclude(target_field=""):
        path = fm.source_path or ""
        contact = CONTACT_PATH.match(path)
        if contact:
            found[fm.target_field] = ("Contact", contact[1])
        elif SIMPLE_PATH.match(path):
            found[fm.target_field] = ("", path)
    return found


class ClientAccountFlow(BaseFlow):
    """What both directions share: echo check, conflict policy, version stamps."""

    source_system = ""

    def __init__(self, flow):
        super().__init__(flow)
        self.conflict_decided: dict | None = None  # the fields the conflict policy decided, for the result
        self.source_written: dict[str, dict] = {}  # finance's picks written to the source, by source record

    # -- per direction ------------------------------------------------------------------------
    def read_target(self, record: str, external_id: str, fields: list[str]) -> dict:
        """A target record now (``record``: its object type), for the conflict check."""
        raise NotImplementedError

    def write_source(self, item: SyncItem, source: dict, updates: dict) -> dict[str, dict]:
        """Write target values finance kept (FieldConflict names → value) back to the source;
        returns what was written, by source record ("client", "Account", "Contact")."""
        raise NotImplementedError

    def changed_at(self, record: dict, system: str):
        if system == "salesforce":
            return sf_datetime_parse(record.get("LastModifiedDate"))
        return accounting_datetime(record.get("updated"), resource="client", field="updated")

    def edited_after_written(self, binding: Binding, source: dict) -> bool:
        """Someone changed the record after our last write to it: a field we never write (a street
        added to an Account we created without one) is a real change even when every field we
        wrote still holds. Our own write stamps the record no later than we note it (plus the
        clocks' skew); an edit after that is not our echo."""
        changed = self.changed_at(source, self.source_system)
        return bool(changed and binding.last_written_at and changed > binding.last_written_at + ECHO_CLOCK_SKEW)

    # -- shared steps -------------------------------------------------------------------------
    def echo_check(self, item: SyncItem, source: dict) -> None:
        binding = binding_find(connection=self.flow.source_connection, object_type=item.source_object,
                              external_id=item.source_id)
        # Only the other direction's write comes back as an echo: a record another flow wrote (a
        # shop order's client, say) and never linked to this flow's target is no echo of ours.
        target_bound = binding is not None and Binding.objects.filter(
            entity=binding.entity_id, connection=self.flow.target_connection_id).exists()
        if target_bound and written_holds(binding, source) and not self.edited_after_written(binding, source):
            raise SkippableError("Echo of our own write: the record still holds exactly what Ledgerlink last wrote "
                                 "there, so there is nothing to send back.")

    def source_entity(self, item: SyncItem):
        binding = binding_find(connection=self.flow.source_connection, object_type=item.source_object,
                              external_id=item.source_id)
        return binding.entity if binding else None

    def conflict_pair(self, binding: Binding | None, record: str, payload: dict, source_changed_at, *,
                      read=None, prefix: str = "") -> ConflictPair:
        """``payload`` against the bound target record, which is read (by ``read``: the backfill
        answers from its bulk read) only when the write can conflict (conflict_baseline)."""
        last = conflict_baseline(binding, payload)
        if not last:
            return ConflictPair(record, payload, {}, {}, prefix=prefix)
        current = (read or self.read_target)(record, binding.external_id, list(payload))
        return ConflictPair(record, payload, current, last, source_changed_at,
                            self.changed_at(current, self.flow.target_connection.system), prefix,
                            record_id=binding.external_id)

    def resolve_conflicts(self, item: SyncItem, source: dict, pairs: list[ConflictPair], *,
                          target_id: str) -> list[dict]:
        """Each pair's payload after the flow's conflict policy, all pairs decided together so a
        conflict on any record holds the item before anything is written; finance's picks are
        written back to the source. ``target_id``: the flow's target record, for Conflicts."""
        self.conflict_decided, self.source_written = None, {}
        target_system = self.flow.target_connection.system
        try:
            outcome = conflicts_resolve(flow=self.flow, pairs=pairs, source_system=self.source_system,
                                        resolution=(item.hint or {}).get("resolution"))
        except ConflictHeld as exc:
            item.result = {"conflict": {"fields": exc.detail, "target_id": target_id,
                                        "source_system": self.source_system, "target_system": target_system}}
            if item.pk:  # a backfill's item is saved later, with this result
                SyncItem.objects.filter(pk=item.pk).update(result=item.result)
            raise
        if outcome.source_updates:
            self.source_written = self.write_source(item, source, outcome.source_updates)
        self.conflict_decided = outcome.decided or None
        return outcome.payloads

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        self.agreed_after_write(item, source_written=self.source_written)
        conflict_result_note(result, self.conflict_decided)

    def agreed_after_write(self, item: SyncItem, *, source_written: dict[str, dict]) -> None:
        """After a write: the source as read, with finance's picks written to it, is what both
        sides agree on (the engine's on_success and the backfill both remember it here)."""
        self.agreed_remember(item, {**item.source_snapshot, **source_written.get(item.source_object, {})})

    def agreed_remember(self, item: SyncItem, values: dict) -> None:
        """Both sides agree now: the source's values (with finance's picks written to it) are the
        baseline the other direction compares against when it meets this record as its target."""
        source_binding = binding_find(connection=self.flow.source_connection, object_type=item.source_object,
                                     external_id=item.source_id)
        if source_binding:
            agreed_store(source_binding, values)


def written_holds(binding: Binding | None, record: dict) -> bool:
    """The record still holds exactly what Ledgerlink last wrote to it (False when we never wrote it)."""
    written = (binding.last_written_payload or {}) if binding else {}
    return bool(written) and all(value_same(record.get(k), v) for k, v in written.items() if "." not in k)


def conflict_result_note(result: WriteResult, decided: dict | None) -> None:
    """The fields a conflict policy decided, on the item's result."""
    if decided:
        result.extra["conflict_decided"] = decided


class AccountToClientFlow(ClientAccountFlow):
    settings_spec = ACCOUNT_TO_CLIENT_SETTINGS
    """Salesforce Account (+ primary Contact) → FreshBooks client."""

    default_mapping_set = "salesforce-account-to-freshbooks-client"
    requirements = FlowRequirements(freshbooks_scopes=("user:clients:read", "user:clients:write"))
    source_system = "salesforce"
    has_write_back = True

    def fetch_source(self, item: SyncItem) -> dict:
        binding = binding_find(connection=self.flow.source_connection, object_type=item.source_object,
                              external_id=item.source_id)
        contact = entity_binding_find(entity=binding.entity if binding else None, connection=self.flow.source_connection,
                                      object_type="Contact")
        record = account_read(self.sf, item.source_id, primary_contact_id=contact.external_id if contact else "")
        if record is None:
            raise SkippableError(f"Salesforce has no Account {item.source_id} any more; the FreshBooks client is left as is.")
        return record

    def echo_check(self, item: SyncItem, source: dict) -> None:
        # An Account holding what we wrote is no echo when its primary Contact, which the client
        # is mapped from too, changed since we wrote it (a new e-mail edited on the Contact).
        contact = primary_contact_of(source)
        bound = entity_binding_find(entity=self.source_entity(item), connection=self.salesforce_connection,
                                    object_type="Contact")
        if contact and bound and bound.external_id == contact["Id"] and bound.last_written_payload and \
                not written_holds(bound, contact):
            return
        super().echo_check(item, source)

    def map(self, item: SyncItem, source: dict) -> dict:
        self.echo_check(item, source)
        payload = self.mapping_apply(source)
        target = entity_binding_find(entity=self.source_entity(item), connection=self.freshbooks_connection,
                                     object_type="client")
        pair = self.conflict_pair(target, "client", payload, self.changed_at(source, "salesforce"))
        if pair.current:  # compared: the client's fields mapped from the primary Contact (name, billing
            # e-mail) changed when the Contact did, not the Account
            contact_changed_at = self.changed_at(primary_contact_of(source) or {}, "salesforce")
            pair.field_changed_at = {field: contact_changed_at for field, (record, _) in
                                     mapped_from(self.mapping_set()).items() if record == "Contact"}
        [payload] = self.resolve_conflicts(item, source, [pair], target_id=target.external_id if target else "")
        return payload

    def find_existing(self, item: SyncItem, source: dict, payload: dict) -> str | None:
        contacts = source.get("Contacts", {}).get("records") or [{}]
        client = freshbooks_client_match(self.fb, client_id=source.get(CLIENT_REF_FIELD), email=contacts[0].get("Email"),
                                         name=source.get("Name"))
        return str(client["id"]) if client else None

    def create(self, item: SyncItem, payload: dict) -> str:
        return str(self.fb.clients.create(payload)["id"])

    def update(self, item: SyncItem, external_id: str, payload: dict) -> None:
        self.fb.clients.update(external_id, payload)

    def read_target(self, record: str, external_id: str, fields: list[str]) -> dict:
        return self.fb.clients.get(external_id)

    def write_source(self, item: SyncItem, source: dict, updates: dict) -> dict[str, dict]:
        """A kept client value goes where the client field is mapped from: the Account, or its
        primary Contact (the billing e-mail, the person's name)."""
        written: dict[str, dict] = {"Account": {}, "Contact": {}}
        mapped = mapped_from(self.mapping_set())
        for field, value in updates.items():
            record, source_field = mapped.get(field, (None, ""))
            if record is not None:
                written[record or "Account"][source_field] = value
        contact = primary_contact_of(source)
        if written["Account"]:
            self.sf.update("Account", item.source_id, written["Account"])
        if written["Contact"] and contact:
            self.sf.update("Contact", contact["Id"], written["Contact"])
        return written

    def write_back(self, item: SyncItem, source: dict, result: WriteResult) -> None:
        if str(source.get(CLIENT_REF_FIELD) or "") != result.external_id:
            self.sf.update("Account", item.source_id, {CLIENT_REF_FIELD: result.external_id})

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        super().on_success(item, result)
        contact = primary_contact_of(item.source_snapshot)
        if contact and item.entity is not None:
            primary_contact_agreed(handler=self, entity=item.entity,
                                   contact={**contact, **self.source_written.get("Contact", {})})
        client_relinked(self, client_id=result.external_id)

    def delete(self, item: SyncItem, binding) -> WriteResult:
        """The Account was deleted in Salesforce (flows/deletes.py): the client is left as is
        (skipped), or archived with ``on_account_deleted`` = "archive"."""
        salesforce_delete_confirm(self.sf, item)
        account = item.source_id
        if binding is None:
            raise SkippableError(f"Salesforce Account {account} was deleted; it was never linked to a FreshBooks "
                                 "client, so nothing changes in FreshBooks.")
        client = binding.external_id
        # None: left alone (the default); "": archived now; else what the client already was
        archive = delete_setting(self, "on_account_deleted", ("leave", "archive")) == "archive"
        already = self._client_archive(client) if archive else None
        # its primary Contact was deleted with it in Salesforce
        salesforce_unlink(connection=self.flow.source_connection, item=item, target=binding, archived=already == "",
                          also=("Contact",))
        if already == "":
            return WriteResult(client, "archived", {"reason": f"Salesforce Account {account} was deleted; FreshBooks "
                                                              f"client {client} is archived (on_account_deleted)."})
        was = f" (it was already {already} in FreshBooks)" if already else ""
        raise SkippableError(f"Salesforce Account {account} was deleted; FreshBooks client {client} is left as is{was}.")

    def _client_archive(self, client_id: str) -> str:
        """Archive the client; "" when done, else what it already was ("deleted", "archived")."""
        try:
            client = self.fb.clients.get(client_id, include=())
        except FatalError as exc:
            if exc.http_status == 404:
                return "deleted"
            raise
        visible = int(client.get("vis_state") or 0)
        if visible:
            return "deleted" if visible == 1 else "archived"
        self.fb.clients.update(client_id, {"vis_state": 2})
        return ""

    def source_version(self, source: dict) -> str:
        return source.get("SystemModstamp") or ""


class ClientToAccountFlow(ClientAccountFlow):
    settings_spec = CLIENT_TO_ACCOUNT_SETTINGS
    batched_backfill = "integrations.flows.client_account.backfill.clients_backfill"
    """FreshBooks client → Salesforce Account (+ primary Contact, written after the Account)."""

    default_mapping_set = "freshbooks-client-to-salesforce-account"
    requirements = FlowRequirements(freshbooks_scopes=("user:clients:read",))

    def mapping_steps(self) -> dict[str, str]:
        return {**super().mapping_steps(), "contact": CONTACT_MAPPING}
    source_system = "freshbooks"
    contact_payload: dict | None = None  # the primary Contact's, as map decided it; written by on_success

    def fetch_source(self, item: SyncItem) -> dict:
        try:
            client = self.fb.clients.get(item.source_id)
        except FatalError as exc:
            if exc.http_status == 404:
                raise SkippableError(f"FreshBooks has no client {item.source_id}; nothing to sync.") from None
            raise
        return client_active(client)

    def deleted_check(self, item: SyncItem) -> None:
        """A client whose Account was deleted in Salesforce is not given a new one (engine and backfill)."""
        note = salesforce_deleted_note(binding_find(connection=self.flow.source_connection, object_type="client",
                                                   external_id=item.source_id))
        if note:
            raise SkippableError(f"FreshBooks client {item.source_id} was linked to {salesforce_deleted_words(note)}; "
                                 "Ledgerlink does not create it again. To link the client again, restore the Account "
                                 "or create one in Salesforce (it is matched by client id, email or name).")

    def map(self, item: SyncItem, source: dict) -> dict:
        account, contact = self.payloads_unresolved(item, source)
        account, self.contact_payload = self.payloads_resolve(item, source, account, contact)
        return account

    def payloads_unresolved(self, item: SyncItem, source: dict) -> tuple[dict, dict | None]:
        """The map step up to the conflict policy: the deleted and echo checks, then the Account's
        and the primary Contact's payloads. The backfill takes each client through this too."""
        self.deleted_check(item)
        scope_check(flow=self.flow, item=item, words=f"FreshBooks client {item.source_id}")
        self.echo_check(item, source)
        return self.account_payload(source), primary_contact_payload(handler=self, client=source)

    def account_payload(self, source: dict) -> dict:
        """The Account's fields from the client (before any conflict decision)."""
        return {**self.mapping_apply(source), CLIENT_REF_FIELD: str(source["id"])}

    def payloads_resolve(self, item: SyncItem, source: dict, account: dict, contact: dict | None, *,
                         read=None) -> tuple[dict, dict | None]:
        """The Account's and the primary Contact's payloads after the conflict policy, decided
        together: the client's change (its ``updated``) against each record's own last change.
        ``read``: the backfill's bulk read of the targets (read one by one when not given)."""
        entity, changed_at = self.source_entity(item), self.changed_at(source, "freshbooks")
        bound = {record: entity_binding_find(entity=entity, connection=self.salesforce_connection, object_type=record)
                 for record in ("Account", "Contact")}
        pairs = [self.conflict_pair(bound["Account"], "Account", account, changed_at, read=read)]
        if contact is not None:
            pairs.append(self.conflict_pair(bound["Contact"], "Contact", contact, changed_at, read=read,
                                            prefix=CONTACT_PREFIX))
        target_id = bound["Account"].external_id if bound["Account"] else ""
        resolved = self.resolve_conflicts(item, source, pairs, target_id=target_id)
        return resolved[0], (resolved[1] if contact is not None else None)

    def delete(self, item: SyncItem, binding) -> WriteResult:
        raise SkippableError(f"FreshBooks client {item.source_id} was deleted; the Salesforce Account is left as is.")

    def find_existing(self, item: SyncItem, source: dict, payload: dict) -> str | None:
        return salesforce_account_match(self.sf, **self.match_keys(source))

    def match_keys(self, source: dict) -> dict:
        """What an Account is matched by (account_match's rules); the backfill asks the same."""
        return dict(client_id=source["id"], email=source.get("email"), name=source.get("organization"))

    def create(self, item: SyncItem, payload: dict) -> str:
        return self.sf.create("Account", payload)

    def update(self, item: SyncItem, external_id: str, payload: dict) -> None:
        self.sf.update("Account", external_id, payload)

    def read_target(self, record: str, external_id: str, fields: list[str]) -> dict:
        try:
            return self.sf.get(record, external_id, fields=[*fields, "LastModifiedDate"])
        except RecordNotFound:
            return {}

    def write_source(self, item: SyncItem, source: dict, updates: dict) -> dict[str, dict]:
        """A kept Account or Contact value goes to the client field it is mapped from."""
        mapped = {"": mapped_from(self.mapping_set()),
                  CONTACT_PREFIX: mapped_from(self.mapping_set(step="contact", default=CONTACT_MAPPING))}
        back = {}
        for field, value in updates.items():
            prefix = CONTACT_PREFIX if field.startswith(CONTACT_PREFIX) else ""
            record, source_field = mapped[prefix].get(field.removeprefix(prefix), (None, ""))
            if record == "":
                back[source_field] = value
        if back:
            self.fb.clients.update(item.source_id, back)
        return {"client": back}

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        super().on_success(item, result)
        primary_contact_sync(handler=self, item=item, account_id=result.external_id, payload=self.contact_payload)

    def source_version(self, source: dict) -> str:
        return str(source.get("updated") or "")


def client_active(client: dict) -> dict:
    """The client, unless FreshBooks has it deleted (then there is nothing to send)."""
    if int(client.get("vis_state") or 0) == 1:
        raise SkippableError(f"FreshBooks client {client.get('id')} is deleted; the Salesforce Account is left as is.")
    return client



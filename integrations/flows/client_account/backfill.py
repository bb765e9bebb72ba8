"""Batched backfill of flow 1, FreshBooks client → Salesforce Account + primary Contact.

Salesforce calls per chunk of 200 clients (two FreshBooks pages): up to three match queries
for the clients not linked yet (their ids as external references, their emails on Contacts,
their names' longest words), one read each of the linked Accounts and primary Contacts whose
content changed (for the conflict policy, which decides both before anything is written; a
held client writes neither), one query for the Contacts to match, then at most one Collections create
and one update per object (Account, then Contact), allOrNone=false: a record Salesforce
refuses fails alone, with Salesforce's reason on its item.

The decisions are the flow's own, through the handler's hooks (ClientToAccountFlow:
payloads_unresolved for the deleted and echo checks and the mapping, payloads_resolve for the
conflict policy, match_keys for account_match's rules, agreed_after_write for the pair's
baseline; contacts.py for the Contact) and the bindings and
hashes the engine's (target_bind, source_bind, written_remember), so the engine and the
backfill agree: a client done by one is unchanged for the other, and our writes coming back
as Account changes are known as echoes. A client whose Account already holds what we last
wrote costs no Salesforce call: that is how a stopped run resumes (FreshBooks lists in no
change order, so the cursor moves only when a run completes; a restarted run reads
FreshBooks again and passes over what is done).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from integrations.connectors.salesforce.batch import collection_save
from integrations.connectors.salesforce.soql import soql_format, soql_select
from integrations.errors import FatalError
from integrations.flows.client_account.contacts import (
    ContactWrite,
    contact_key,
    contacts_find,
    primary_contact_plan,
    primary_contact_remember,
)
from integrations.flows.client_account.handler import (
    ClientToAccountFlow,
    client_active,
    conflict_result_note,
)
from integrations.flows.toolkit.backfill_batch import (
    RECORD_FAILURES,
    ChunkItems,
    chunk_locked,
    freshbooks_backfill,
)
from integrations.flows.toolkit.bindings import entity_binding_find
from integrations.flows.toolkit.conflicts import conflict_baseline
from integrations.flows.toolkit.matching import SalesforceAccountIndex, account_match
from integrations.models import Binding, Entity, SyncItem
from integrations.sync.engine import source_bind, target_bind, written_remember
from integrations.sync.handler import WriteResult
from integrations.sync.hashing import payload_hash

S = SyncItem.Status


def clients_backfill(*, flow, since, dry_run: bool, summary, progress, total) -> None:
    handler = ClientToAccountFlow(flow)
    freshbooks_backfill(flow=flow, api=handler.fb.clients, since=since, dry_run=dry_run, summary=summary,
                        progress=progress, total=total, chunk_run=lambda chunk, items: _Chunk(handler, items).run(chunk))


@dataclass
class _Client:
    """One client on its way: the engine's state for it, as the steps decide it."""

    item: SyncItem
    client: dict
    payload: dict
    entity: Entity | None
    target: Binding | None  # the Account bound to the client's entity
    action: str = ""  # unchanged | updated | matched | created
    account_id: str = ""
    decided: dict | None = None  # fields the conflict policy decided
    source_written: dict = field(default_factory=dict)  # finance's picks written to the source, by record
    contact_payload: dict | None = None  # the primary Contact's (None: no person on the client)
    contact_target: Binding | None = None  # the Contact bound to the client's entity
    contact: ContactWrite | None = None
    contact_id: str = ""

    @property
    def open(self) -> bool:
        return self.item.status == S.PENDING


class _Chunk:
    def __init__(self, handler: ClientToAccountFlow, items: ChunkItems):
        self.h, self.items, self.dry_run = handler, items, items.dry_run

    def run(self, clients: list[dict]) -> None:
        pairs = [(self.items.new("client", c["id"], c), c) for c in clients]
        with chunk_locked(self.items, self.h, pairs) as free:
            todo = self._plan(free)
            self._resolve([c for c in todo if c.target])
            self._match([c for c in todo if not c.target])
            todo = [c for c in todo if c.open]
            if not self.dry_run:
                self._write_accounts(todo)
                self._write_contacts([c for c in todo if c.open])
            for c in todo:
                if c.open:
                    result = WriteResult(c.account_id, c.action)
                    conflict_result_note(result, c.decided)
                    c.item.entity = c.entity
                    self.items.succeeded(c.item, result)
                    if not self.dry_run:  # as the engine's on_success: the pair's agreed baseline
                        self.h.agreed_after_write(c.item, source_written=c.source_written)
        self.items.save()

    # -- decide -------------------------------------------------------------------------------------
    def _plan(self, pairs) -> list[_Client]:
        """The engine's fetch and map steps (on the listed client), and its bindings."""
        flow, todo = self.h.flow, []
        for item, client in pairs:
            try:
                client_active(client)
                payload, contact = self.h.payloads_unresolved(item, client)
            except RECORD_FAILURES as exc:
                self.items.failed(item, exc, "map")
                continue
            entity = self.h.source_entity(item)
            target, contact_target = (entity_binding_find(entity=entity, connection=flow.target_connection, object_type=o)
                                      for o in (flow.target_object, "Contact"))
            item.mapped_payload = payload
            todo.append(_Client(item, client, payload, entity, target, contact_payload=contact,
                                contact_target=contact_target))
        return todo

    def _resolve(self, bound: list[_Client]) -> None:
        """Linked Accounts: unchanged content is not sent; changed content (the Account's or the
        primary Contact's) goes through the flow's conflict policy, against the Accounts and the
        Contacts as read in one query each (only those the check compares: conflict_baseline)."""
        if not self.dry_run:  # a dry run reads and writes nothing for a conflict (it may write the client)
            # each client with whether its Account's and its Contact's writes can conflict (then they are read)
            checks = [(c, bool(conflict_baseline(c.target, c.payload)),
                       bool(conflict_baseline(c.contact_target, c.contact_payload))) for c in bound]
            current = {
                "Account": self._records_read("Account", [(c.target, c.payload) for c, account, _ in checks if account]),
                "Contact": self._records_read("Contact", [(c.contact_target, c.contact_payload)
                                                          for c, _, contact in checks if contact])}
            for c in [c for c, account, contact in checks if account or contact]:
                try:
                    c.payload, c.contact_payload = self.h.payloads_resolve(
                        c.item, c.client, c.payload, c.contact_payload,
                        read=lambda record, external_id, fields: current[record].get(external_id, {}))
                except RECORD_FAILURES as exc:
                    self.items.failed(c.item, exc, "map")
                    continue
                c.decided, c.source_written, c.item.mapped_payload = \
                    self.h.conflict_decided, self.h.source_written, c.payload
        for c in bound:
            if c.open:
                c.account_id = c.target.external_id
                c.action = "unchanged" if c.target.last_written_hash == payload_hash(c.payload) else "updated"

    def _records_read(self, record: str, targets: list[tuple[Binding, dict]]) -> dict[str, dict]:
        """The bound records of one object type, with the fields their payloads write."""
        if not targets:
            return {}
        fields = sorted({"Id", "LastModifiedDate", *(k for _, payload in targets for k in payload)})
        soql = soql_select(fields, record) + soql_format(" WHERE Id IN {ids}", ids=[b.external_id for b, _ in targets])
        return {row["Id"]: {k: v for k, v in row.items() if k != "attributes"} for row in self.h.sf.query_all(soql)}

    def _match(self, unbound: list[_Client]) -> None:
        """Match before create, as the flow does (external reference → email → normalised
        name), with the candidates of the whole chunk read at once. Two clients of the chunk
        that would make one Account are never both created: the second fails as the duplicate
        it is, as it would when synced after the first."""
        if not unbound:
            return
        index = SalesforceAccountIndex.read(self.h.sf, [c.client for c in unbound])
        planned = SalesforceAccountIndex()  # the Accounts this chunk is about to create
        for c in unbound:
            ask = self.h.match_keys(c.client)
            try:
                c.account_id = account_match(index, **ask) or ""
                twin = "" if c.account_id else account_match(planned, **ask)
                if twin:
                    raise FatalError(f"This client matches the Salesforce Account being created for FreshBooks client "
                                     f"{twin} (same email or name). This looks like a duplicate: merge the two clients "
                                     "or unlink one, then replay.")
                if c.account_id and not self.dry_run:
                    # bound before the write, as the engine would after it: a second client of
                    # the chunk matching the same Account then fails before anything is written
                    self._bind(c, c.account_id)
            except RECORD_FAILURES as exc:
                self.items.failed(c.item, exc, "match")
                continue
            c.action = "matched" if c.account_id else "created"
            if not c.account_id:
                planned.add(str(c.client["id"]), email=c.client.get("email"), name=c.payload.get("Name"))

    def _bind(self, c: _Client, account_id: str) -> None:
        c.entity, c.target = target_bind(item=c.item, handler=self.h, entity=c.entity, external_id=account_id)
        c.item.entity = c.entity = source_bind(item=c.item, source=c.client, handler=self.h, entity=c.entity,
                                               target=c.target)

    # -- write ----------------------------------------------------------------------------------------
    def _write_accounts(self, todo: list[_Client]) -> None:
        results = collection_save(self.h.sf, "Account", creates=[(c, c.payload) for c in todo if c.action == "created"],
                                  updates=[(c, {"Id": c.account_id, **c.payload}) for c in todo
                                           if c.action in ("updated", "matched")])
        for c, result in results:
            if not result.ok:
                self.items.failed(c.item, result.error, "create" if c.action == "created" else "update")
                continue
            c.account_id = c.account_id or result.id
            self._written(c)
        for c in todo:
            if c.action == "unchanged":
                self._written(c)

    def _written(self, c: _Client) -> None:
        """The engine's bind step: link a created Account, remember what we wrote, keep the
        client's version on its binding."""
        try:
            if c.action == "created":
                self._bind(c, c.account_id)
            else:
                c.item.entity = c.entity = source_bind(item=c.item, source=c.client, handler=self.h, entity=c.entity,
                                                       target=c.target)
            written_remember(target=c.target, payload=c.payload, content_hash=payload_hash(c.payload))
        except RECORD_FAILURES as exc:
            self.items.failed(c.item, exc, "bind")

    def _write_contacts(self, todo: list[_Client]) -> None:
        """The engine's next step (ClientToAccountFlow.on_success): each Account's primary Contact."""
        writing = []
        for c in todo:
            c.item.entity = c.entity
            try:
                c.contact = primary_contact_plan(handler=self.h, item=c.item, payload=c.contact_payload)
            except RECORD_FAILURES as exc:
                self.items.failed(c.item, exc, "follow_on")
                continue
            if c.contact is not None:
                writing.append(c)
        unbound = [c for c in writing if c.contact.binding is None]
        found = contacts_find(self.h.sf, [contact_key(c.account_id, c.contact.payload.get("Email")) for c in unbound])
        for c in writing:
            c.contact_id = c.contact.binding.external_id if c.contact.binding else \
                found.get(contact_key(c.account_id, c.contact.payload.get("Email")), "")
        results = collection_save(
            self.h.sf, "Contact", updates=[(c, {"Id": c.contact_id, **c.contact.payload}) for c in writing if c.contact_id],
            creates=[(c, {**c.contact.payload, "AccountId": c.account_id}) for c in writing if not c.contact_id])
        for c, result in results:
            if result.ok:
                primary_contact_remember(handler=self.h, item=c.item, plan=c.contact, contact_id=c.contact_id or result.id)
            else:
                self.items.failed(c.item, result.error, "follow_on")

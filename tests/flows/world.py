"""A Salesforce org and a FreshBooks business (the simulators, over real HTTP), connected to
Ledgerlink with the default mappings and flows; helpers that act as people in each system."""
from __future__ import annotations

from dataclasses import dataclass

from integrations.operations.backfill import flow_backfill
from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.errors import RetryableError
from integrations.demo.flows import default_flows_ensure
from integrations.models import Connection, Flow, SyncItem
from integrations.sandbox.freshbooks.kinds import KINDS
from integrations.sandbox.freshbooks.models import SimObject
from integrations.sandbox.freshbooks.records import record_create as fb_record_create
from integrations.sandbox.freshbooks.records import record_update as fb_record_update
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.context import WriteContext, write_context_use
from integrations.sandbox.salesforce.models import SfRecord
from integrations.sandbox.salesforce.org import integration_user
from integrations.sandbox.salesforce.writes import record_create, record_delete, record_update
from integrations.sync.items import sync_item_enqueue
from integrations.sync.engine import sync_item_process
from mappings.setup import default_config_load


def item_run(flow_name: str, source_object: str, source_id, *, action: str = "upsert", hint=None) -> SyncItem:
    """Enqueue and process one item of the named flow in this process (the engine, as a worker runs it)."""
    item, _ = sync_item_enqueue(flow=Flow.objects.get(name=flow_name), source_object=source_object,
                                source_id=str(source_id), action=action, hint=hint, dispatch=False)
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    return item


@dataclass
class World:
    sf_connection: Connection
    fb_connection: Connection
    fb_sandbox: object  # tests.sandbox.freshbooks.fixtures.Sandbox

    # -- Ledgerlink side --------------------------------------------------------------------------
    def flow(self, name: str) -> Flow:
        return Flow.objects.get(name=name)

    def run(self, flow_name: str, source_object: str, source_id, **options) -> SyncItem:
        return item_run(flow_name, source_object, source_id, **options)

    def backfill_stopped_after_first_chunk(self, flow_name: str) -> list[int]:
        """Run the flow's backfill with Salesforce refusing the first write after its first chunk
        (UNABLE_TO_LOCK_ROW), which stops the run there; returns the chunk sizes reported done."""
        done = []

        def refuse_next_write(n):
            done.append(n)
            sim.org_configure(fault_lock_row=1)

        try:
            flow_backfill(flow=self.flow(flow_name), progress=refuse_next_write)
        except RetryableError:
            return done
        raise AssertionError("the backfill went on after Salesforce refused a write")

    @property
    def sf(self) -> SalesforceClient:
        return SalesforceClient(self.sf_connection)

    @property
    def fb(self) -> FreshBooksClient:
        return FreshBooksClient(self.fb_connection)

    # -- a person in Salesforce -------------------------------------------------------------------
    def sf_create(self, sobject: str, values: dict) -> str:
        with write_context_use(WriteContext(user_id=integration_user().sf_id)):
            return record_create(sobject, values)

    def sf_update(self, sobject: str, sf_id: str, values: dict) -> None:
        with write_context_use(WriteContext(user_id=integration_user().sf_id)):
            record_update(sobject, sf_id, values)

    def sf_delete(self, sobject: str, sf_id: str) -> None:
        with write_context_use(WriteContext(user_id=integration_user().sf_id)):
            record_delete(sobject, sf_id)

    def sf_record(self, sf_id: str) -> dict:
        return SfRecord.objects.get(sf_id=sf_id).fields

    def sf_records(self, sobject: str) -> list[dict]:
        return [r.fields for r in SfRecord.objects.filter(sobject=sobject, is_deleted=False).order_by("pk")]

    def won_opportunity(self, *, account: str = "Globex Corporation", email: str = "ann@globex.test",
                        lines=(("Consulting hour", "CONS-H", 150, 4), ("Implementation", "IMPL-P", 4800, 1)),
                        stage: str = "Closed Won", account_id: str | None = None) -> str:
        """An Account with a primary contact, an Opportunity with products, set to ``stage``."""
        account_id = account_id or self.sf_create("Account", {"Name": account, "BillingCity": "Springfield"})
        contact = self.sf_create("Contact", {"FirstName": "Ann", "LastName": "Lee", "Email": email,
                                             "AccountId": account_id})
        opp = self.sf_create("Opportunity", {"Name": f"{account} deal", "StageName": "Prospecting",
                                             "CloseDate": "2026-06-30", "AccountId": account_id})
        self.sf_create("OpportunityContactRole", {"OpportunityId": opp, "ContactId": contact, "IsPrimary": True})
        for n, (name, code, price, qty) in enumerate(lines):
            entry = next((r.sf_id for r in SfRecord.objects.filter(sobject="PricebookEntry")
                          if r.fields.get("ProductCode") == code), None) or \
                sim.product_with_price_create(name=name, code=code, unit_price=price)
            self.sf_create("OpportunityLineItem", {"OpportunityId": opp, "PricebookEntryId": entry, "Quantity": qty,
                                                   "UnitPrice": price, "SortOrder": n})
        if stage != "Prospecting":
            self.sf_update("Opportunity", opp, {"StageName": stage})
        return opp

    # -- a person in FreshBooks ----------------------------------------------------------------------
    def fb_objects(self, kind: str, **data_filters) -> list[dict]:
        rows = SimObject.objects.filter(account=self.fb_sandbox.account, kind=kind, vis_state=0).order_by("pk")
        return [{"id": o.pk, **o.data} for o in rows if all(o.data.get(k) == v for k, v in data_filters.items())]

    def fb_create(self, kind: str, values: dict) -> int:
        return fb_record_create(account=self.fb_sandbox.account, kind=KINDS[kind], values=values,
                                actor=self.fb_sandbox.user).pk

    def fb_update(self, kind: str, object_id, values: dict) -> None:
        obj = SimObject.objects.get(pk=object_id)
        fb_record_update(account=self.fb_sandbox.account, kind=KINDS[kind], obj=obj, values=values,
                         actor=self.fb_sandbox.user)

    def pay(self, invoice_id, amount: str, date: str = "2026-07-01") -> int:
        return self.fb_create("payment", {"invoiceid": int(invoice_id), "amount": {"amount": amount}, "date": date,
                                          "type": "Check"})


def world_make(*, sf_connection: Connection, fb_sandbox, fb_connection: Connection) -> World:
    default_config_load(lambda _: None)
    default_flows_ensure(salesforce=sf_connection, freshbooks=fb_connection, poll_minutes=0)
    return World(sf_connection=sf_connection, fb_connection=fb_connection, fb_sandbox=fb_sandbox)

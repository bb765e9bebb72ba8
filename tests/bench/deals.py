"""Seeding for the flow benchmarks: a Salesforce org with Accounts, primary contacts and
Closed Won Opportunities with line items, and the FreshBooks clients of those Accounts (the
"clients exist" case), written straight into the simulators' tables (bulk inserts: the
benchmarks measure the flows, not the seeding). Plus connections to simulators served by a
separate server, and the default mappings and flows."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection as db
from django.utils import timezone

from integrations.demo.flows import default_flows_ensure
from integrations.models import Binding, Connection, Flow, SyncItem
from integrations.sandbox.freshbooks.models import SimCallback, SimDelivery, SimObject
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.ids import id_new
from integrations.sandbox.salesforce.models import SfDelivery, SfRecord, SfSubscription
from integrations.sandbox.salesforce.org import integration_user, org_get
from integrations.sandbox.salesforce.values import sf_datetime
from mappings.setup import default_config_load

PRODUCTS = [("Consulting hour", "CONS-H", 150.0), ("Implementation package", "IMPL-P", 4800.0),
            ("Support plan", "SUP-Y", 1200.0)]
OPP_FLOW = "sf-opportunity-to-fb-invoice"


def connections_to(base: str) -> tuple[Connection, Connection]:
    """The sandbox demo connections, pointed at the simulators served at ``base``."""
    from integrations.demo.freshbooks import freshbooks_sandbox_connect
    from integrations.demo.salesforce import salesforce_sandbox_connect

    settings.LEDGERLINK_PUBLIC_URL = base
    salesforce_sandbox_connect(lambda _: None)
    freshbooks = freshbooks_sandbox_connect(lambda _: None)
    salesforce = Connection.objects.get(name="Salesforce (sandbox)")
    # Earlier runs' servers (other ports) are gone: their subscriptions and undelivered events too.
    SfSubscription.objects.exclude(endpoint=f"{base}/api/webhooks/salesforce/{salesforce.pk}/").delete()
    SfDelivery.objects.filter(status="pending").delete()
    for c, root in ((salesforce, f"{base}/sandbox/salesforce"), (freshbooks, f"{base}/sandbox/freshbooks/")):
        c.base_url = c.auth_url = root
        c.settings = {**c.settings, "instance_url": root} if c.system == "salesforce" else c.settings
        c.save()
    default_config_load(lambda _: None)
    default_flows_ensure(salesforce=salesforce, freshbooks=freshbooks, poll_minutes=0)
    return salesforce, freshbooks


def state_reset(freshbooks: Connection) -> None:
    """Forget earlier bench runs: the simulated records, our bindings and items of these flows."""
    account = _fb_account(freshbooks)
    SyncItem.objects.filter(flow__name__in=[f.name for f in Flow.objects.filter(
        source_connection__name__in=["Salesforce (sandbox)", "FreshBooks (sandbox)"])]).delete()
    Binding.objects.filter(connection__name__in=["Salesforce (sandbox)", "FreshBooks (sandbox)"]).delete()
    with db.cursor() as cur:  # entities left without any binding (and their links)
        orphans = "SELECT e.id FROM integrations_entity e WHERE NOT EXISTS (SELECT 1 FROM integrations_binding b " \
                  "WHERE b.entity_id = e.id)"
        cur.execute(f"DELETE FROM integrations_entitylink WHERE from_entity_id IN ({orphans}) "
                    f"OR to_entity_id IN ({orphans})")
        cur.execute(f"UPDATE integrations_syncitem SET entity_id = NULL WHERE entity_id IN ({orphans})")
        cur.execute(f"DELETE FROM integrations_entity WHERE id IN ({orphans})")
    SfRecord.objects.filter(sobject__in=["Account", "Contact", "Opportunity", "OpportunityLineItem",
                                         "OpportunityContactRole"]).delete()
    SimObject.objects.filter(account=account).delete()
    SimDelivery.objects.filter(account=account).delete()
    sim.org_configure(query_page_size=2000, latency_ms=0, fault_unavailable=0, fault_lock_row=0,
                      api_daily_limit=10_000_000)
    org = org_get()
    type(org).objects.filter(pk=org.pk).update(api_used=0)


def _fb_account(freshbooks: Connection):
    from integrations.sandbox.freshbooks.models import SimAccount

    return SimAccount.objects.get(account_id=freshbooks.settings["account_id"])


def webhooks_off(freshbooks: Connection) -> None:
    """No change-event or webhook deliveries (the backfill benchmark measures the backfill alone)."""
    SfSubscription.objects.update(active=False)
    SimCallback.objects.filter(account=_fb_account(freshbooks)).delete()


def _record(sobject: str, fields: dict, now) -> SfRecord:
    user = integration_user().sf_id
    sf_id = fields.get("Id") or id_new({"Account": "001", "Contact": "003", "Opportunity": "006",
                                        "OpportunityLineItem": "00k", "OpportunityContactRole": "00K"}[sobject])
    stamp = sf_datetime(now)
    base = {"Id": sf_id, "IsDeleted": False, "CreatedDate": stamp, "CreatedById": user, "LastModifiedDate": stamp,
            "LastModifiedById": user, "SystemModstamp": stamp}
    return SfRecord(sobject=sobject, sf_id=sf_id, fields={**base, **fields}, system_modstamp=now)


def deals_seed(*, freshbooks: Connection, accounts: int, opportunities: int, lines: int = 3,
               stage: str = "Closed Won", clients_exist: bool = True) -> list[str]:
    """Accounts (each with a contact, and a bound-by-reference FreshBooks client) and
    Opportunities with ``lines`` products each. Returns the Opportunity ids."""
    org_get()
    entries = {r.fields["ProductCode"]: r for r in SfRecord.objects.filter(sobject="PricebookEntry")}
    for name, code, price in PRODUCTS:
        if code not in entries:
            sim.product_with_price_create(name=name, code=code, unit_price=price)
    entries = [r for r in SfRecord.objects.filter(sobject="PricebookEntry") if r.fields.get("ProductCode") in
               {p[1] for p in PRODUCTS}]
    account = _fb_account(freshbooks)
    now = timezone.now() - timedelta(hours=1)
    clients = SimObject.objects.bulk_create([
        SimObject(account=account, kind="client", data={"organization": f"Bench Customer {n}", "fname": "Pat",
                                                        "lname": f"Buyer{n}", "email": f"ap{n}@bench.example",
                                                        "currency_code": "USD"})
        for n in range(accounts)]) if clients_exist else [None] * accounts
    rows, account_ids, contact_ids = [], [], []
    for n in range(accounts):
        acc = _record("Account", {"Name": f"Bench Customer {n}", "BillingCity": "Springfield",
                                  "FreshBooks_Client_Id__c": str(clients[n].pk) if clients[n] else None}, now)
        con = _record("Contact", {"FirstName": "Pat", "LastName": f"Buyer{n}", "Name": f"Pat Buyer{n}",
                                  "Email": f"ap{n}@bench.example", "AccountId": acc.sf_id}, now)
        rows += [acc, con]
        account_ids.append(acc.sf_id)
        contact_ids.append(con.sf_id)
    opp_ids = []
    stage_won = stage == "Closed Won"
    for i in range(opportunities):
        at = now + timedelta(milliseconds=i)
        products = [entries[(i + k) % len(entries)] for k in range(lines)]
        amount = sum(Decimal(str(e.fields["UnitPrice"])) * (k + 1) for k, e in enumerate(products))
        opp = _record("Opportunity", {
            "Name": f"Bench deal {i}", "AccountId": account_ids[i % accounts], "StageName": stage,
            "CloseDate": "2026-06-30", "Amount": float(amount), "IsClosed": stage_won, "IsWon": stage_won,
            "Probability": 100 if stage_won else 10, "HasOpportunityLineItem": True,
            "Pricebook2Id": products[0].fields["Pricebook2Id"]}, at)
        opp_ids.append(opp.sf_id)
        rows.append(opp)
        rows.append(_record("OpportunityContactRole", {"OpportunityId": opp.sf_id, "ContactId": contact_ids[i % accounts],
                                                       "IsPrimary": True, "Role": "Decision Maker"}, at))
        for k, entry in enumerate(products):
            price = entry.fields["UnitPrice"]
            rows.append(_record("OpportunityLineItem", {
                "OpportunityId": opp.sf_id, "PricebookEntryId": entry.sf_id, "Product2Id": entry.fields["Product2Id"],
                "Name": f"Bench deal {i} {entry.fields['Name']}", "ProductCode": entry.fields["ProductCode"],
                "Quantity": float(k + 1), "UnitPrice": price, "ListPrice": price, "TotalPrice": price * (k + 1),
                "SortOrder": k}, at))
    SfRecord.objects.bulk_create(rows, batch_size=2000)
    return opp_ids

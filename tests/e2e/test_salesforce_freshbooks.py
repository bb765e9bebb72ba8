"""End to end on PostgreSQL: both simulators served over real HTTP (live_server), their change
events and webhooks delivered to our receivers, a real django-q2 worker cluster doing the
work. One cluster start covers several scenarios in order: the happy path of flows 2 and 3
(and flow 1 through them), echo suppression, duplicate deliveries, 429/503 storms from both
simulators, expired tokens mid-batch and worker crashes inside flow 2 (after the invoice create, after
the client create). A second cluster start covers a failed write-back and its recovery, out-of-order
webhook deliveries and Salesforce change events, and flow 1's conflicts under each policy, met from
either side."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import zip_longest

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.connectors.freshbooks.services import freshbooks_callbacks_ensure
from integrations.flows.opportunity_invoice.handler import invoice_lines_key
from integrations.models import Flow, InboundEvent, SyncItem
from integrations.triggers.polling import flow_poll
from integrations.operations.conflicts import conflict_resolve
from integrations.sandbox.freshbooks.deliveries import deliveries_drain
from integrations.sandbox.freshbooks.faults import faults_set, tokens_expire_all
from integrations.sandbox.freshbooks.models import SimCallback, SimDelivery, SimObject
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.events import deliveries_drain as sf_deliveries_drain
from integrations.sandbox.salesforce.models import SfDelivery
from integrations.sync.sweeper import sync_items_dispatch_due
from monitoring.models import ApiCall, SyncAttempt
from tests.cluster import qcluster, wait_until
from tests.sandbox.salesforce.fixtures import WEBHOOK_SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = SyncItem.Status
OPEN = [S.PENDING, S.RETRYING, S.RUNNING]
FAST_RETRIES = {"SYNC_BACKOFF_BASE_SECONDS": "0.5", "SYNC_BACKOFF_CAP_SECONDS": "2", "SYNC_MAX_ATTEMPTS": "12",
                "SYNC_RUNNING_STALE_SECONDS": "8"}


def writes() -> int:
    """Writes Ledgerlink made to either system (webhook registration aside)."""
    return ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).exclude(
        operation__startswith="callbacks").count()


def quiet() -> bool:
    """Nothing left anywhere: no open work, no undelivered webhook or change event, no unrouted event."""
    return not (SyncItem.objects.filter(status__in=OPEN).exists()
                or SimDelivery.objects.filter(status__in=["pending", "sending"]).exists()
                or SfDelivery.objects.filter(status="pending").exists()
                or InboundEvent.objects.filter(status="received").exclude(event_type="callback.verify").exists())


def safety_net():
    """What the one-minute schedule does in production, run more often here: dispatch due retries."""
    sync_items_dispatch_due()


def deal(world, **kwargs) -> str:
    """A salesperson's whole deal committed at once (Account, contact, Opportunity, products, Closed Won),
    so its change events reach us about complete records."""
    with transaction.atomic():
        return world.won_opportunity(**kwargs)


def wire(world, live_server):
    fb = world.fb_connection
    fb.settings = {**fb.settings, "webhook_events": ["client", "invoice", "payment"],
                   "webhook_url": f"{live_server.url}/api/webhooks/freshbooks/{fb.pk}/"}
    fb.save()
    freshbooks_callbacks_ensure(connection=fb)
    sim.subscription_ensure(endpoint=f"{live_server.url}/api/webhooks/salesforce/{world.sf_connection.pk}/",
                            secret=WEBHOOK_SECRET)
    wait_until(lambda: SimCallback.objects.filter(verified=True).count() == 3, what="FreshBooks callbacks verified")


def on_cluster(scenarios, world, live_server, tmp_path, settings):
    """Run ``scenarios`` with a cluster started for them (its log's tail added when an assertion fails)."""
    settings.SYNC_RUNNING_STALE_SECONDS = 8  # the safety net here sees a dead worker's item as the cluster does
    with qcluster(tmp_path / "qcluster.log", env_extra=FAST_RETRIES):
        scenarios(world, live_server, tmp_path)


def _crashed_deal(world, tmp_path, kind: str, **deal_kwargs):
    """A deal invoiced by flow 2 run as test kind ``kind``, whose worker dies once (see tests/e2e/handlers.py);
    returns the Opportunity, once its invoice ids are on it, and the marker file holding the id made."""
    marker = tmp_path / kind
    Flow.objects.filter(name="sf-opportunity-to-fb-invoice").update(kind=kind, settings={"crash_marker": str(marker)})
    opp = deal(world, **deal_kwargs)
    wait_until(marker.exists, tick=safety_net, what=f"the worker to die ({kind})")
    try:
        wait_until(lambda: world.sf_record(opp).get("FreshBooks_Invoice_Number__c"), timeout=120, tick=safety_net,
                   what="the crashed item to be recovered and finish")
    except AssertionError as exc:  # say where the deal's items stand, not only that time ran out
        rows = SyncItem.objects.filter(flow__name="sf-opportunity-to-fb-invoice").values_list(
            "pk", "source_id", "status", "attempts", "next_attempt_at", "last_error_class", "last_error")
        raise AssertionError(f"{exc}\nitems: {list(rows)}") from exc
    return opp, marker


def test_salesforce_freshbooks_end_to_end_with_a_real_cluster(world, live_server, tmp_path, pg_only, settings):
    on_cluster(_scenarios, world, live_server, tmp_path, settings)


def _scenarios(world, live_server, tmp_path):
    wire(world, live_server)

    # 1. Closed Won in Salesforce → invoice in FreshBooks, ids on the Opportunity (change event → worker)
    opp = deal(world, lines=(("Consulting hour", "CONS-H", 100, 2),))
    wait_until(lambda: world.sf_record(opp).get("FreshBooks_Invoice_Number__c"), tick=safety_net,
               what="the invoice ids on the Opportunity")
    [invoice] = world.fb_objects("invoice")
    assert world.sf_record(opp)["FreshBooks_Invoice_Id__c"] == str(invoice["id"]) and invoice["po_number"] == opp

    # 2. a payment in FreshBooks → the Opportunity's payment status (webhook → worker)
    world.pay(invoice["id"], "80.00")
    wait_until(lambda: world.sf_record(opp).get("Payment_Status__c") == "Partial", tick=safety_net,
               what="Partial on the Opportunity")
    world.pay(invoice["id"], "120.00", date="2026-07-02")
    wait_until(lambda: world.sf_record(opp).get("Payment_Status__c") == "Paid", tick=safety_net,
               what="Paid on the Opportunity")
    assert world.sf_record(opp)["Amount_Paid__c"] == 200

    # 3. echo suppression: our own writes' events (and a poll of every flow) cause no further writes
    wait_until(quiet, tick=safety_net, what="the first deal to settle")
    before = writes()
    last_call = ApiCall.objects.order_by("-pk").values_list("pk", flat=True).first()
    for flow in Flow.objects.all():
        assert flow_poll(flow=flow).error == ""
    wait_until(quiet, tick=safety_net, what="the polls to settle")
    extra = ApiCall.objects.filter(pk__gt=last_call, method__in=["POST", "PUT", "PATCH", "DELETE"])
    assert writes() == before, [(c.system, c.operation, c.path, c.sync_item_id) for c in extra]
    assert not SyncItem.objects.filter(status=S.DEAD).exists()
    assert InboundEvent.objects.filter(payload__echo=True).exists()  # our Salesforce writes came back, unrouted

    # 4. duplicate deliveries, 429/503 storms from both simulators, every token expired: five more deals
    faults_set(account=world.fb_sandbox.account, fault_duplicate_deliveries=10, fault_429_remaining=8,
               fault_retry_after=1, fault_5xx_remaining=4, fault_5xx_status=503)
    sim.org_configure(fault_unavailable=6, fault_lock_row=2)
    tokens_expire_all(account=world.fb_sandbox.account)
    sim.sessions_expire_now()
    opps = [deal(world, account=f"Storm {n}", email=f"ap{n}@storm.test",
                 lines=(("Consulting hour", "CONS-H", 100, n + 1),)) for n in range(5)]
    wait_until(lambda: all(world.sf_record(o).get("FreshBooks_Invoice_Number__c") for o in opps), timeout=180,
               tick=safety_net, what="five invoices through the storm")
    wait_until(quiet, timeout=120, tick=safety_net, what="the storm to settle")
    invoices = world.fb_objects("invoice")
    assert sorted(i["po_number"] for i in invoices) == sorted([opp, *opps])  # none lost, none duplicated
    items = SyncItem.objects.filter(flow__name="sf-opportunity-to-fb-invoice", source_id__in=opps)
    assert not items.filter(~Q(status__in=[S.SUCCEEDED, S.SKIPPED, S.DEAD])).exists()
    assert not items.filter(status=S.DEAD, last_error="").exists()  # any dead one says why
    assert ApiCall.objects.filter(status_code=429).exists() and ApiCall.objects.filter(status_code=503).exists()

    # 5. the worker dies between FreshBooks' invoice create and our commit: no second invoice
    faults_set(account=world.fb_sandbox.account, fault_duplicate_deliveries=0, fault_429_remaining=0,
               fault_5xx_remaining=0)
    sim.org_configure(fault_unavailable=0, fault_lock_row=0)
    crash, marker = _crashed_deal(world, tmp_path, "e2e-crash-once", account="Crash Co", email="ap@crash.test")
    assert [i["id"] for i in world.fb_objects("invoice", po_number=crash)] == [int(marker.read_text())]
    done = SyncItem.objects.filter(source_id=crash, flow__name="sf-opportunity-to-fb-invoice", status=S.SUCCEEDED)
    # the ids reach the Opportunity inside the item's run, a moment before its outcome is committed
    wait_until(done.exists, tick=safety_net, what="the recovered item's outcome")
    recovered = done.get()
    assert recovered.result["action"] == "matched" and recovered.attempts >= 2

    # 6. the worker dies inside flow 2 right after FreshBooks created the deal's new client (flow 1's matcher),
    #    before our bindings: the retry finds that client (matched by e-mail, or already linked by the client →
    #    Account sync its webhook started) instead of making a second. Flow 1's Account → client direction is
    #    off here, so flow 2 is the one that makes the client.
    wait_until(quiet, tick=safety_net, what="the crashed deal to settle")
    Flow.objects.filter(name="sf-account-to-fb-client").update(enabled=False)
    opp, client_marker = _crashed_deal(world, tmp_path, "e2e-client-crash-once", account="Client Crash Co",
                                       email="ap@client-crash.test")
    wait_until(quiet, tick=safety_net, what="the client crash to settle")
    client_id = int(client_marker.read_text())
    assert [c["id"] for c in world.fb_objects("client") if c["organization"] == "Client Crash Co"] == [client_id]
    [invoice] = world.fb_objects("invoice", po_number=opp)
    assert invoice["customerid"] == client_id
    assert world.sf_record(world.sf_record(opp)["AccountId"])["FreshBooks_Client_Id__c"] == str(client_id)
    items = SyncItem.objects.filter(flow__name="sf-opportunity-to-fb-invoice", source_id=opp)
    assert max(items.values_list("attempts", flat=True)) >= 2  # the item the dead worker held ran again
    assert not SyncItem.objects.filter(status=S.DEAD).exists()


# -- a second cluster start: write-back failure, out-of-order deliveries, conflicts ----------------------
OPP_FLOW, TO_FB, TO_SF = "sf-opportunity-to-fb-invoice", "sf-account-to-fb-client", "fb-client-to-sf-account"
DONE = [S.SUCCEEDED, S.SKIPPED, S.DEAD, S.HELD]


def test_write_back_failure_out_of_order_events_and_conflicts_with_a_real_cluster(world, live_server, tmp_path,
                                                                                 pg_only, settings):
    on_cluster(_failure_scenarios, world, live_server, tmp_path, settings)


def _settled_but(held: set[int], held_sf: set[int] = frozenset()):
    """quiet(), except for the webhook deliveries and change events the test is holding back on purpose."""
    def check() -> bool:
        return not (SyncItem.objects.filter(status__in=OPEN).exists()
                    or SimDelivery.objects.filter(status__in=["pending", "sending"]).exclude(pk__in=held).exists()
                    or SfDelivery.objects.filter(status="pending").exclude(pk__in=held_sf).exists()
                    or InboundEvent.objects.filter(status="received").exclude(event_type="callback.verify").exists())
    return check


def _next_item(flow: str, source_id: str, after: int) -> SyncItem:
    """The first item of ``flow`` for ``source_id`` queued after item ``after``, once it has finished."""
    items = SyncItem.objects.filter(flow__name=flow, source_id=source_id, pk__gt=after)
    wait_until(lambda: items.filter(status__in=DONE).exists(), tick=safety_net, what=f"{flow} {source_id} to finish")
    return items.filter(status__in=DONE).order_by("pk").first()


def _last_item_pk() -> int:
    return SyncItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _synced_account(world, name: str, email: str) -> tuple[str, int]:
    """An Account with its contact, committed at once, synced to a FreshBooks client by the cluster."""
    with transaction.atomic():
        account = world.sf_create("Account", {"Name": name, "BillingCity": "Springfield"})
        world.sf_create("Contact", {"FirstName": "Ann", "LastName": "Lee", "Email": email, "AccountId": account})
    wait_until(lambda: world.sf_record(account).get("FreshBooks_Client_Id__c"), tick=safety_net,
               what=f"{name}'s client id on the Account")
    wait_until(quiet, tick=safety_net, what=f"{name} to settle")
    return account, int(world.sf_record(account)["FreshBooks_Client_Id__c"])


def _conflict(world, policy, name: str, *, fb_changed_at=None, emails: tuple[str, str] | None = None):
    """Both sides change the same Account/client between syncs (FreshBooks first, then Salesforce, whose change
    event starts the sync); returns the Account, the client and the Account → client item that met the conflict."""
    Flow.objects.filter(name=TO_FB).update(conflict_policy=policy)
    account, client = _synced_account(world, name, f"ap@{name.lower().replace(' ', '-')}.test")
    after = _last_item_pk()
    world.fb_update("client", client, {"organization": f"{name} (FreshBooks)",
                                       **({"email": emails[1]} if emails else {})})
    if fb_changed_at is not None:  # FreshBooks stamps to the second: place its change clearly before or after
        SimObject.objects.filter(pk=client).update(updated_at=fb_changed_at)
    with transaction.atomic():
        world.sf_update("Account", account, {"Name": f"{name} (Salesforce)"})
        if emails:
            [contact] = [c for c in world.sf_records("Contact") if c["AccountId"] == account]
            world.sf_update("Contact", contact["Id"], {"Email": emails[0]})
    return account, client, _next_item(TO_FB, account, after)


def _resolve(item: SyncItem, choices: dict) -> None:
    """Finance's pick for a held item (the service the Conflicts admin calls); it resumes on the cluster."""
    item, message = conflict_resolve(item=item, choices=choices)
    assert message.startswith("Decision saved"), message
    wait_until(lambda: SyncItem.objects.get(pk=item.pk).status in [S.SUCCEEDED, S.DEAD], tick=safety_net,
               what="the resolved item to resume and finish")
    item.refresh_from_db()
    assert item.status == S.SUCCEEDED, item.last_error
    wait_until(quiet, tick=safety_net, what="the resolved conflict to settle")


def _synced_client(world, name: str, email: str) -> tuple[str, int]:
    """A client made in FreshBooks, synced by the cluster to a new Account (and its contact)."""
    client = world.fb_create("client", {"organization": name, "email": email, "fname": "Bo", "lname": "Ng"})

    def account_id() -> str | None:
        return next((a["Id"] for a in world.sf_records("Account") if a.get("FreshBooks_Client_Id__c") == str(client)),
                    None)
    wait_until(account_id, tick=safety_net, what=f"{name}'s Account in Salesforce")
    wait_until(quiet, tick=safety_net, what=f"{name} to settle")
    return account_id(), client


def _conflict_from_freshbooks(world, policy, name: str, *, fb_changed_at=None, phones: tuple[str, str] | None = None,
                              made_in: str = "freshbooks", emails: tuple[str, str] | None = None):
    """Both sides change the same client/Account between syncs (Salesforce first, then FreshBooks, whose webhook
    starts the client → Account sync); returns the Account, the client and the client → Account item that met
    the conflict. ``made_in`` "salesforce": the pair was made, and last synced, the other way (Account → client).
    ``emails``: the primary Contact's e-mail changed in Salesforce, the client's in FreshBooks."""
    Flow.objects.filter(name=TO_SF).update(conflict_policy=policy)
    email = f"ap@{name.lower().replace(' ', '-')}.test"
    if made_in == "salesforce":
        Flow.objects.filter(name=TO_FB).update(enabled=True)
        account, client = _synced_account(world, name, email)
        Flow.objects.filter(name=TO_FB).update(enabled=False)
    else:
        account, client = _synced_client(world, name, email)
    after = _last_item_pk()
    world.sf_update("Account", account, {"Name": f"{name} (Salesforce)", **({"Phone": phones[0]} if phones else {})})
    if emails:
        [contact] = [c for c in world.sf_records("Contact") if c["AccountId"] == account]
        world.sf_update("Contact", contact["Id"], {"Email": emails[0]})
    with transaction.atomic():
        world.fb_update("client", client, {"organization": f"{name} (FreshBooks)",
                                           **({"bus_phone": phones[1]} if phones else {}),
                                           **({"email": emails[1]} if emails else {})})
        if fb_changed_at is not None:  # place FreshBooks' change clearly before or after Salesforce's
            SimObject.objects.filter(pk=client).update(updated_at=fb_changed_at)
    return account, client, _next_item(TO_SF, str(client), after)


def _sf_deliver(pk: int) -> None:
    """Let one held change event go (again, when it was delivered before) and send it now."""
    SfDelivery.objects.filter(pk=pk).update(status="pending", next_attempt_at=timezone.now())
    sf_deliveries_drain()


def _failure_scenarios(world, live_server, tmp_path):
    wire(world, live_server)

    # 1. the write-back to Salesforce fails (UNABLE_TO_LOCK_ROW on the Opportunity update, armed right after the
    #    invoice exists): the item retries the write-back alone — one invoice, its ids land on the Opportunity
    first = deal(world, account="Lockstep", email="ap@lockstep.test", lines=(("Consulting hour", "CONS-H", 100, 1),))
    wait_until(lambda: world.sf_record(first).get("FreshBooks_Invoice_Number__c"), tick=safety_net,
               what="the first invoice's ids on the Opportunity")
    wait_until(quiet, tick=safety_net, what="the first deal to settle")
    marker = tmp_path / "locked"
    Flow.objects.filter(name=OPP_FLOW).update(kind="e2e-lock-write-back-once", settings={
        **world.flow(OPP_FLOW).settings, "lock_marker": str(marker)})
    account = world.sf_record(first)["AccountId"]
    with transaction.atomic():
        opp = world.won_opportunity(account_id=account, email="ap2@lockstep.test",
                                    lines=(("Consulting hour", "CONS-H", 100, 1),))
    wait_until(marker.exists, tick=safety_net, what="the write-back to meet a locked row")
    wait_until(lambda: world.sf_record(opp).get("FreshBooks_Invoice_Number__c"), tick=safety_net,
               what="the retried write-back to land the ids")
    wait_until(quiet, tick=safety_net, what="the write-back retry to settle")
    [invoice] = world.fb_objects("invoice", po_number=opp)
    assert world.sf_record(opp)["FreshBooks_Invoice_Id__c"] == str(invoice["id"]) == marker.read_text()
    item = SyncItem.objects.get(flow__name=OPP_FLOW, source_id=opp)
    assert item.status == S.SUCCEEDED and item.attempts >= 2, (item.status, item.attempts, item.last_error)
    failed = item.attempts_log.filter(outcome=SyncAttempt.Outcome.RETRYING)
    assert failed.exists() and set(failed.values_list("step", flat=True)) == {"write_back"}
    assert ApiCall.objects.filter(sync_item=item, operation="invoices.create", status_code=200).count() == 1
    assert ApiCall.objects.filter(sync_item=item, system="salesforce", status_code=400).exists()  # the locked row
    assert item.result["action"] == "unchanged"  # the retry found the invoice bound: only the write-back ran
    assert len(world.fb_objects("invoice")) == 2

    # 2. out of order: two payments made in order, their webhooks delivered newest first; the older ones,
    #    arriving late, leave the Opportunity on the newest truth (events are hints: the flow reads fresh)
    baseline = SimDelivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        world.pay(invoice["id"], "40.00", date="2026-07-01")
        world.pay(invoice["id"], "60.00", date="2026-07-02")
        held_qs = SimDelivery.objects.filter(pk__gt=baseline, status="pending")
        held_qs.update(next_attempt_at=timezone.now() + timedelta(days=1))
    held = list(held_qs.order_by("-pk").values_list("pk", flat=True))
    assert len(held) >= 2, held
    names = dict(SimDelivery.objects.filter(pk__in=held).values_list("pk", "name"))
    newest_payment = next(pk for pk in held if names[pk] == "payment.create")
    release_order = [pk for pk in held if pk >= newest_payment] + [pk for pk in held if pk < newest_payment]
    writes_after_newest = None
    for n, pk in enumerate(release_order):
        SimDelivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
        deliveries_drain()
        remaining = set(release_order[n + 1:])
        wait_until(_settled_but(remaining), tick=safety_net, what=f"delivery {pk} ({names[pk]}) to be processed")
        if pk == newest_payment:
            record = world.sf_record(opp)
            assert (record["Payment_Status__c"], record["Amount_Paid__c"]) == ("Paid", 100), record
            writes_after_newest = writes()
    assert SimDelivery.objects.filter(pk__in=held, status="delivered").count() == len(held)
    record = world.sf_record(opp)
    assert (record["Payment_Status__c"], record["Amount_Paid__c"], record["Date_Paid__c"]) == \
        ("Paid", 100, "2026-07-02"), record
    assert writes() == writes_after_newest  # the late, older events changed nothing
    assert not SyncItem.objects.filter(status=S.DEAD).exists()

    # 3. out of order in Salesforce: one deal built over several commits (Account, contact, Opportunity in
    #    Prospecting; then Closed Won, the Account renamed, a line's quantity raised, the deal renamed, the
    #    Account moved) has its change events delivered newest first, interleaved and repeated. Events are hints
    #    and every sync reads fresh: the first one processed writes the latest state; the late, older ones and
    #    the repeats change nothing
    sf_baseline = SfDelivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        shuffled = world.won_opportunity(account="Shuffle Co", email="ap@shuffle.test", stage="Prospecting",
                                         lines=(("Consulting hour", "CONS-H", 100, 2),))
        account = world.sf_record(shuffled)["AccountId"]
        world.sf_update("Opportunity", shuffled, {"StageName": "Closed Won"})
        world.sf_update("Account", account, {"Name": "Shuffle Corp", "Phone": "555-0100"})
        [line] = [r for r in world.sf_records("OpportunityLineItem") if r["OpportunityId"] == shuffled]
        world.sf_update("OpportunityLineItem", line["Id"], {"Quantity": 3, "UnitPrice": 100})
        world.sf_update("Opportunity", shuffled, {"Name": "Shuffle Corp renewal"})
        world.sf_update("Account", account, {"BillingCity": "Shelbyville"})
        SfDelivery.objects.filter(pk__gt=sf_baseline).update(next_attempt_at=timezone.now() + timedelta(days=1))
    entity_of = dict(SfDelivery.objects.filter(pk__gt=sf_baseline).values_list("pk", "event__entity"))
    opp_events = sorted(pk for pk, entity in entity_of.items() if entity == "Opportunity")  # oldest first
    account_events = sorted(pk for pk, entity in entity_of.items() if entity == "Account")
    others = sorted(pk for pk, entity in entity_of.items() if entity not in ("Opportunity", "Account"))
    assert len(opp_events) >= 4 and len(account_events) == 3, entity_of
    older = [pk for pair in zip_longest(account_events[-2::-1], opp_events[-2::-1]) for pk in pair if pk]
    order = [opp_events[-1], account_events[-1], *older[:2], *others, *older[2:],
             opp_events[-1], account_events[0], opp_events[0]]  # the last three: delivered again
    held_sf, writes_after_newest = set(entity_of), None
    for pk in order:
        held_sf.discard(pk)
        _sf_deliver(pk)
        wait_until(_settled_but(set(), held_sf), tick=safety_net, what=f"change event {pk} ({entity_of[pk]})")
        if writes_after_newest is None:  # the newest Opportunity event alone: the whole latest deal is in FreshBooks
            [invoice] = world.fb_objects("invoice", po_number=shuffled)
            assert invoice_lines_key(invoice["lines"]) == [("Consulting hour", Decimal(3), Decimal(100))], invoice
            assert invoice["description"] == "Shuffle Corp renewal", invoice
            [client] = [c for c in world.fb_objects("client") if c["id"] == invoice["customerid"]]
            assert (client["organization"], client["bus_phone"], client["p_city"]) == \
                ("Shuffle Corp", "555-0100", "Shelbyville"), client
            writes_after_newest = writes()
    assert writes() == writes_after_newest  # the late, older events and the repeats changed nothing
    assert [i["id"] for i in world.fb_objects("invoice", po_number=shuffled)] == [invoice["id"]]
    assert [c["id"] for c in world.fb_objects("client") if c["organization"].startswith("Shuffle")] == [client["id"]]
    assert world.sf_record(shuffled)["FreshBooks_Invoice_Id__c"] == str(invoice["id"])
    assert world.sf_record(account)["FreshBooks_Client_Id__c"] == str(client["id"])
    assert InboundEvent.objects.filter(object_id__in=[shuffled, account], duplicate_count__gt=0).count() == 3
    assert not SyncItem.objects.filter(status=S.DEAD).exists()

    # 4. conflicts in flow 1 under each policy; the client → Account direction is switched off here so only the
    #    Account → client sync meets the conflict (FreshBooks' own webhook is stored, not routed)
    Flow.objects.filter(name=TO_SF).update(enabled=False)
    P = Flow.ConflictPolicy
    # field_owner: Salesforce owns the name, FreshBooks the billing email
    account, client, item = _conflict(world, P.FIELD_OWNER, "Owner Co",
                                      emails=("new-sf@owner.test", "billing@owner.test"))
    assert item.status == S.SUCCEEDED, item.last_error
    assert item.result["conflict_decided"] == {"organization": "source", "email": "target"}
    fb_client = world.fb_objects("client", organization="Owner Co (Salesforce)")
    assert [(c["id"], c["email"]) for c in fb_client] == [(client, "billing@owner.test")]
    # newest_wins, FreshBooks changed last: FreshBooks keeps its name
    account, client, item = _conflict(world, P.NEWEST_WINS, "Newer Books",
                                      fb_changed_at=timezone.now() + timedelta(minutes=5))
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == {"organization": "target"}, item.result
    assert SimObject.objects.get(pk=client).data["organization"] == "Newer Books (FreshBooks)"
    # newest_wins, Salesforce changed last: Salesforce's name is written
    account, client, item = _conflict(world, P.NEWEST_WINS, "Newer Force",
                                      fb_changed_at=timezone.now() - timedelta(minutes=5))
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == {"organization": "source"}, item.result
    assert SimObject.objects.get(pk=client).data["organization"] == "Newer Force (Salesforce)"
    # review: held until finance picks (the service the Conflicts admin calls), then it resumes on the cluster
    account, client, item = _conflict(world, P.REVIEW, "Review Co")
    assert item.status == S.HELD and "organization" in item.last_error, (item.status, item.last_error)
    assert SimObject.objects.get(pk=client).data["organization"] == "Review Co (FreshBooks)"  # nothing written yet
    assert world.sf_record(account)["Name"] == "Review Co (Salesforce)"
    _resolve(item, {"organization": "target"})
    # both systems now hold finance's choice
    assert SimObject.objects.get(pk=client).data["organization"] == "Review Co (FreshBooks)"
    assert world.sf_record(account)["Name"] == "Review Co (FreshBooks)"
    assert not SyncItem.objects.filter(status__in=[S.DEAD, S.HELD]).exists()

    # 5. conflicts met by the client → Account direction; the Account → client direction is off now, so only
    #    FreshBooks' webhook starts a sync (Salesforce's change event is stored, not routed)
    Flow.objects.filter(name=TO_SF).update(enabled=True)
    Flow.objects.filter(name=TO_FB).update(enabled=False)
    # field_owner: Salesforce owns the name; the phone has no owner listed, so the change being synced wins it
    account, client, item = _conflict_from_freshbooks(world, P.FIELD_OWNER, "Owner Books",
                                                      phones=("555-0101", "555-0202"))
    assert item.status == S.SUCCEEDED, item.last_error
    assert item.result["conflict_decided"] == {"Name": "target", "Phone": "source"}, item.result
    record = world.sf_record(account)
    assert (record["Name"], record["Phone"]) == ("Owner Books (Salesforce)", "555-0202"), record
    assert SimObject.objects.get(pk=client).data["organization"] == "Owner Books (FreshBooks)"
    # the same when the pair was made, and last synced, the other way (an Account made in Salesforce)
    account, client, item = _conflict_from_freshbooks(world, P.FIELD_OWNER, "Owner Force", made_in="salesforce")
    assert item.status == S.SUCCEEDED and item.result.get("conflict_decided") == {"Name": "target"}, item.result
    assert world.sf_record(account)["Name"] == "Owner Force (Salesforce)"
    # newest_wins, Salesforce changed last: Salesforce keeps its name
    account, client, item = _conflict_from_freshbooks(world, P.NEWEST_WINS, "Newest Force",
                                                      fb_changed_at=timezone.now() - timedelta(minutes=5))
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == {"Name": "target"}, item.result
    assert world.sf_record(account)["Name"] == "Newest Force (Salesforce)"
    # newest_wins, FreshBooks changed last: FreshBooks' name is written
    account, client, item = _conflict_from_freshbooks(world, P.NEWEST_WINS, "Newest Books",
                                                      fb_changed_at=timezone.now() + timedelta(minutes=5))
    assert item.status == S.SUCCEEDED and item.result["conflict_decided"] == {"Name": "source"}, item.result
    assert world.sf_record(account)["Name"] == "Newest Books (FreshBooks)"
    # review: held (the Account's name and its primary Contact's e-mail) until finance picks Salesforce's name
    # and FreshBooks' e-mail; each is then written where it is missing
    account, client, item = _conflict_from_freshbooks(world, P.REVIEW, "Review Books",
                                                      emails=("ap@sf.review-books.test", "billing@review-books.test"))
    assert item.status == S.HELD and "Name" in item.last_error and "Contact Email" in item.last_error, \
        (item.status, item.last_error)
    [contact] = [c for c in world.sf_records("Contact") if c["AccountId"] == account]
    assert (world.sf_record(account)["Name"], contact["Email"]) == ("Review Books (Salesforce)",
                                                                    "ap@sf.review-books.test")  # nothing written yet
    _resolve(item, {"Name": "target", "Contact.Email": "source"})
    fb_client = SimObject.objects.get(pk=client).data
    assert (fb_client["organization"], fb_client["email"]) == ("Review Books (Salesforce)", "billing@review-books.test")
    assert world.sf_record(account)["Name"] == "Review Books (Salesforce)"
    assert world.sf_record(contact["Id"])["Email"] == "billing@review-books.test"
    assert not SyncItem.objects.filter(status__in=[S.DEAD, S.HELD]).exists()

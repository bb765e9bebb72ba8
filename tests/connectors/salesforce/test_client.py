"""Contract tests: SalesforceClient against the simulator over real HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.connectors.salesforce.batch import collection_create, collection_delete, collection_update, \
    collection_upsert, composite
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.errors import DuplicateRecord, MultipleMatches, RecordNotFound
from integrations.connectors.salesforce.queries import modified_since, opportunity_read
from integrations.errors import FatalError, RetryableError
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfRecord
from monitoring.models import ApiCall


def _opportunity_with_lines(sf, lines: int) -> str:
    account = sf.create("Account", {"Name": "Globex", "FreshBooks_Client_Id__c": "FB-7"})
    contact = sf.create("Contact", {"FirstName": "Ann", "LastName": "Lee", "Email": "ann@globex.test",
                                    "AccountId": account})
    other = sf.create("Contact", {"LastName": "Other", "AccountId": account})
    opp = sf.create("Opportunity", {"Name": "Globex deal", "StageName": "Prospecting", "CloseDate": "2026-12-01",
                                    "AccountId": account})
    sf.create("OpportunityContactRole", {"OpportunityId": opp, "ContactId": other, "IsPrimary": False})
    sf.create("OpportunityContactRole", {"OpportunityId": opp, "ContactId": contact, "IsPrimary": True})
    for n in range(lines):
        entry = sim.product_with_price_create(name=f"Widget {n}", code=f"W-{n}", unit_price=10.0 + n)
        sf.create("OpportunityLineItem", {"OpportunityId": opp, "PricebookEntryId": entry, "Quantity": 2,
                                          "UnitPrice": 10.0 + n, "SortOrder": n})
    return opp


def test_opportunity_read_is_one_query_and_pages_child_line_items(sf):
    opp = _opportunity_with_lines(sf, 5)
    sim.org_configure(query_page_size=2)
    ApiCall.objects.all().delete()
    data = opportunity_read(sf, opp)
    assert data["opportunity"]["Id"] == opp and data["opportunity"]["Amount"] == sum(2 * (10 + n) for n in range(5))
    assert data["account"]["FreshBooks_Client_Id__c"] == "FB-7"
    assert data["primary_contact"]["Email"] == "ann@globex.test"
    assert [line["Product2"]["ProductCode"] for line in data["line_items"]] == [f"W-{n}" for n in range(5)]
    operations = list(ApiCall.objects.order_by("pk").values_list("operation", flat=True))
    assert operations == ["query", "query.more", "query.more"]  # one query; 5 lines at 2 per page


def test_query_all_iter_follows_next_records_url(sf):
    for n in range(5):
        sf.create("Account", {"Name": f"Account {n}"})
    sim.org_configure(query_page_size=2)
    first = sf.query("SELECT Id FROM Account")
    assert first["done"] is False and first["totalSize"] == 5 and "/query/01g" in first["nextRecordsUrl"]
    names = [r["Name"] for r in sf.query_all_iter("SELECT Name FROM Account ORDER BY Name DESC")]
    assert names == [f"Account {n}" for n in reversed(range(5))]


def test_upsert_statuses_201_200_and_204_before_v46(sf, sf_connection):
    created = sf.upsert("Account", "FreshBooks_Client_Id__c", "FB 1&2+3", {"Name": "Initech"})
    assert created.created is True and created.status == 201
    updated = sf.upsert("Account", "FreshBooks_Client_Id__c", "FB 1&2+3", {"Name": "Initech Ltd"})
    assert (updated.id, updated.created, updated.status) == (created.id, False, 200)
    sf_connection.settings = {**sf_connection.settings, "api_version": "45.0"}
    legacy = SalesforceClient(sf_connection).upsert("Account", "FreshBooks_Client_Id__c", "FB 1&2+3", {"Phone": "1"})
    assert (legacy.id, legacy.status) == (created.id, 204)
    assert sf.get_by_external_id("Account", "FreshBooks_Client_Id__c", "FB 1&2+3")["Phone"] == "1"


def test_upsert_with_several_matches_is_300(sf):
    sf.create("Contact", {"LastName": "A", "FreshBooks_Contact_Id__c": "C-1"})
    sf.create("Contact", {"LastName": "B", "FreshBooks_Contact_Id__c": "C-1"})
    with pytest.raises(MultipleMatches):
        sf.upsert("Contact", "FreshBooks_Contact_Id__c", "C-1", {"Title": "x"})


def test_crud_and_errors_are_classified_with_fields(sf):
    account = sf.create("Account", {"Name": "Umbrella", "FreshBooks_Client_Id__c": "U-1"})
    sf.update("Account", account, {"Phone": "555"})
    assert sf.get("Account", account, fields=["Phone"])["Phone"] == "555"
    with pytest.raises(FatalError) as missing:
        sf.create("Contact", {"FirstName": "No last name"})
    assert missing.value.field == "LastName" and "Required fields are missing: [LastName]" in missing.value.message
    with pytest.raises(DuplicateRecord) as dup:
        sf.create("Account", {"Name": "Umbrella 2", "FreshBooks_Client_Id__c": "U-1"})
    assert dup.value.duplicate_ids == [account]
    with pytest.raises(FatalError, match="No such column 'Bogus__c'"):
        sf.update("Account", account, {"Bogus__c": 1})
    sf.delete("Account", account)
    with pytest.raises(RecordNotFound):
        sf.get("Account", account)
    assert ApiCall.objects.filter(operation="Account.create", status_code=201).exists()


def test_collections_map_partial_failures_back_to_records(sf):
    results = collection_create(sf, "Contact", [{"LastName": "Ok 1"}, {"FirstName": "missing"}, {"LastName": "Ok 2"}])
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].index == 1 and results[1].error.field == "LastName"
    updates = collection_update(sf, "Contact", [{"Id": results[0].id, "Title": "CFO"}, {"Id": results[2].id,
                                                                                       "Email": "not-too-long"}])
    assert all(r.ok for r in updates)
    upserts = collection_upsert(sf, "Account", "FreshBooks_Client_Id__c",
                                [{"FreshBooks_Client_Id__c": "X1", "Name": "X1"}, {"FreshBooks_Client_Id__c": "X1",
                                                                                   "Name": "X1 again"}])
    assert [(r.ok, r.created) for r in upserts] == [(True, True), (True, False)]
    deleted = collection_delete(sf, [results[0].id, "003000000000000AAA"])
    assert [r.ok for r in deleted] == [True, False]


def test_collections_all_or_none_rolls_back_everything(sf):
    results = collection_create(sf, "Account", [{"Name": "Kept?"}, {"Phone": "no name"}], all_or_none=True)
    assert [r.ok for r in results] == [False, False]
    assert isinstance(results[0].error, RetryableError)  # rolled back for its neighbour's sake
    assert results[1].error.field == "Name"
    assert not SfRecord.objects.filter(sobject="Account").exists()


def test_collections_chunk_beyond_200(sf):
    results = collection_create(sf, "Account", [{"Name": f"Bulk {n}"} for n in range(205)])
    assert len(results) == 205 and all(r.ok for r in results) and results[204].index == 204
    assert ApiCall.objects.filter(operation="collections.create").count() == 2


def test_composite_dependent_writes_and_rollback(sf):
    ok = composite(sf, [
        {"method": "POST", "url": "sobjects/Account", "referenceId": "acct", "body": {"Name": "Parent"}},
        {"method": "POST", "url": "sobjects/Contact", "referenceId": "con",
         "body": {"LastName": "Child", "AccountId": "@{acct.id}"}},
    ])
    assert [r.status for r in ok] == [201, 201]
    assert sf.get("Contact", ok[1].body["id"])["AccountId"] == ok[0].body["id"]
    failed = composite(sf, [
        {"method": "POST", "url": "sobjects/Account", "referenceId": "acct", "body": {"Name": "Rolled back"}},
        {"method": "POST", "url": "sobjects/Contact", "referenceId": "con", "body": {"FirstName": "no last name"}},
        {"method": "PATCH", "url": "sobjects/Account/@{acct.id}", "referenceId": "after", "body": {"Phone": "1"}},
    ])
    assert [r.status for r in failed] == [400, 400, 400]
    assert failed[0].body[0]["errorCode"] == "PROCESSING_HALTED"
    assert failed[1].body[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert not SfRecord.objects.filter(sobject="Account", fields__Name="Rolled back").exists()


def test_limit_exhaustion_is_retryable_and_budget_threshold_pauses_non_urgent_work(sf, sf_connection):
    sf.query("SELECT Id FROM Account")
    assert sf_connection.api_usage["api_usage"]["used"] >= 1
    sim.org_configure(api_daily_limit=10)
    sim.api_budget_exhaust()
    with pytest.raises(RetryableError, match="daily API limit"):
        SalesforceClient(sf_connection, urgent=True).query("SELECT Id FROM Account")
    sf_connection.refresh_from_db()
    assert sf_connection.api_usage["api_usage"] == {**sf_connection.api_usage["api_usage"], "used": 10, "limit": 10}
    calls = ApiCall.objects.count()
    with pytest.raises(RetryableError, match="paused above 80%") as paused:
        SalesforceClient(sf_connection).query("SELECT Id FROM Account")
    assert paused.value.retry_after and ApiCall.objects.count() == calls  # no call made


def test_unable_to_lock_row_is_retryable_then_succeeds(sf):
    account = sf.create("Account", {"Name": "Locked"})
    sim.org_configure(fault_lock_row=1)
    with pytest.raises(RetryableError, match="locked") as locked:
        sf.update("Account", account, {"Phone": "1"})
    assert locked.value.retry_after == 5
    sf.update("Account", account, {"Phone": "1"})
    assert sf.get("Account", account)["Phone"] == "1"


def test_503_is_retryable(sf):
    sim.org_configure(fault_unavailable=1)
    with pytest.raises(RetryableError):
        sf.query("SELECT Id FROM Account")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_get_updated_get_deleted_and_modstamp_watermark(sf):
    from integrations.sandbox.salesforce.models import SfDeleteLog

    start = timezone.now() - timedelta(minutes=10)
    kept = sf.create("Account", {"Name": "Kept"})
    gone = sf.create("Account", {"Name": "Gone"})
    sf.delete("Account", gone)
    # getUpdated/getDeleted ignore seconds and cover whole minutes only: age the changes.
    earlier = timezone.now() - timedelta(minutes=3)
    SfRecord.objects.filter(sf_id=kept).update(system_modstamp=earlier)
    SfDeleteLog.objects.filter(sf_id=gone).update(deleted_at=earlier)
    end = timezone.now() + timedelta(minutes=2)
    updated = sf.updated("Account", start, end)
    assert [r.id for r in updated.records] == [kept] and updated.latest_covered <= end
    deleted = sf.deleted("Account", start, end)
    assert [(d.id, d.at) for d in deleted.records] == [(gone, earlier.replace(microsecond=earlier.microsecond // 1000 * 1000))]
    since = [r["Id"] for r in modified_since(sf, "Account", ["Name"], start)]
    assert since == [kept]
    with_deleted = [r["Id"] for r in modified_since(sf, "Account", ["Name"], start, include_deleted=True)]
    assert with_deleted == [kept, gone]


def test_writes_carry_call_options_for_echo_suppression(sf, sf_connection):
    from integrations.sandbox.salesforce.models import SfChangeEvent

    account = sf.create("Account", {"Name": "Tagged"})
    event = SfChangeEvent.objects.get(record_ids=[account])
    assert event.header["changeOrigin"] == f"com/salesforce/api/rest/62.0;client=Ledgerlink-{sf_connection.pk}"


def test_api_usage_is_stored_when_it_moves_not_after_every_call(sf, sf_connection):
    from integrations.models import Connection

    def stored():
        return Connection.objects.get(pk=sf_connection.pk).api_usage["api_usage"]

    sim.org_configure(api_daily_limit=1_000_000)
    sf.query("SELECT Id FROM Account")
    first = stored()
    sf.query("SELECT Id FROM Account")
    # This process budgets with the new figure; the row keeps the one stored moments ago (same 0.1 %).
    assert sf_connection.api_usage["api_usage"]["used"] == first["used"] + 1
    assert stored() == first
    sim.org_configure(api_daily_limit=first["used"] + 10)  # each call now moves it by 10 %
    sf.query("SELECT Id FROM Account")
    assert stored()["used"] == sf_connection.api_usage["api_usage"]["used"] == first["used"] + 2
    assert stored()["seen_at"] > first["seen_at"]

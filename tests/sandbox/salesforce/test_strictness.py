"""The simulator is as strict as the real org (issue 20): required picklists, describe picklist
values and If-Modified-Since, composite/batch and composite/tree, aggregate SOQL, FIELDS(),
toLabel(), the real code for valid-but-unsupported SOQL, and Account/Contact edits on its
pages. Everything goes over real HTTP (live server), through the product's connector where
the product uses the behaviour."""
from __future__ import annotations

import re
from datetime import timedelta
from email.utils import format_datetime

import pytest
import requests
from django.utils import timezone

from integrations.errors import FatalError
from integrations.sandbox.salesforce.models import SfChangeEvent, SfRecord

from tests.live_http import close_http_sessions  # noqa: F401  (autouse: no keep-alive thread outlives a test)


@pytest.fixture
def raw(sf, sf_root):
    """Plain HTTP calls with the connector's bearer token (for headers and bodies it does not expose)."""
    token = sf.connection.get_secret("access_token")

    def call(method, path, body=None, **headers):
        return requests.request(method, f"{sf_root}/services/data/v62.0/{path}", json=body, timeout=20,
                                headers={"Authorization": f"Bearer {token}", **headers})
    return call


def _account(sf, name="Acme"):
    return sf.create("Account", {"Name": name})


def test_missing_stage_answers_required_field_missing_naming_it(sf, raw):
    answer = raw("POST", "sobjects/Opportunity/", {"Name": "No stage", "CloseDate": "2026-12-31"})
    assert answer.status_code == 400
    assert answer.json() == [{"message": "Required fields are missing: [StageName]", "errorCode": "REQUIRED_FIELD_MISSING",
                              "fields": ["StageName"]}]
    with pytest.raises(FatalError) as refused:  # the product sees which field is missing
        sf.create("Opportunity", {"Name": "No stage", "CloseDate": "2026-12-31", "StageName": ""})
    assert refused.value.field == "StageName" and refused.value.detail["errorCode"] == "REQUIRED_FIELD_MISSING"
    bad = raw("POST", "sobjects/Opportunity/", {"Name": "x", "CloseDate": "2026-12-31", "StageName": "Nope"})
    assert bad.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"  # a wrong value stays that


def test_describe_lists_picklist_values_with_their_stages(sf):
    fields = {f["name"]: f for f in sf.describe("Opportunity")["fields"]}
    stages = fields["StageName"]["picklistValues"]
    assert {"active": True, "defaultValue": False, "label": "Closed Won", "validFor": None,
            "value": "Closed Won"} in stages
    assert [s["value"] for s in stages][:2] == ["Prospecting", "Qualification"] and len(stages) == 10
    assert "Pipeline" in [v["value"] for v in fields["ForecastCategoryName"]["picklistValues"]]


def test_describe_answers_304_when_metadata_unchanged_since(sf, raw):
    later = format_datetime(timezone.now() + timedelta(minutes=1), usegmt=True)
    for path in ("sobjects/Opportunity/describe/", "sobjects/"):
        unchanged = raw("GET", path, **{"If-Modified-Since": later})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert raw("GET", path, **{"If-Modified-Since": "Wed, 3 Jul 2013 19:43:31 GMT"}).status_code == 200
    # An admin renames a stage: the metadata changed, so the same question gets the full answer.
    stage = SfRecord.objects.get(sobject="OpportunityStage", fields__ApiName="Prospecting")
    stage.system_modstamp = timezone.now() + timedelta(minutes=5)
    stage.save()
    assert raw("GET", "sobjects/Opportunity/describe/", **{"If-Modified-Since": later}).status_code == 200


def test_composite_batch_runs_independent_subrequests_and_halts_on_error(sf, raw):
    account = _account(sf)
    answer = raw("POST", "composite/batch", {"batchRequests": [
        {"method": "PATCH", "url": f"v62.0/sobjects/Account/{account}", "richInput": {"Name": "Renamed"}},
        {"method": "GET", "url": f"/v62.0/sobjects/Account/{account}?fields=Name"},
        {"method": "POST", "url": "v62.0/sobjects/Contact", "richInput": {"FirstName": "No last name"}},
        {"method": "GET", "url": "v62.0/query?q=SELECT+Name+FROM+Account"},
    ], "haltOnError": True})
    assert answer.status_code == 200
    body = answer.json()
    assert body["hasErrors"] is True
    assert [r["statusCode"] for r in body["results"]] == [204, 200, 400, 412]
    assert body["results"][1]["result"]["Name"] == "Renamed"  # no rollback: each subrequest stands alone
    assert body["results"][2]["result"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert body["results"][3]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
    too_many = raw("POST", "composite/batch", {"batchRequests": [{"method": "GET", "url": "v62.0/limits"}] * 26})
    assert too_many.status_code == 400
    bad_url = raw("POST", "composite/batch", {"batchRequests": [{"method": "GET", "url": "/services/data/v62.0/limits"}]})
    assert bad_url.status_code == 400


def test_composite_tree_creates_parents_then_children_all_or_nothing(sf, raw):
    tree = {"records": [
        {"attributes": {"type": "Account", "referenceId": "ref1"}, "Name": "Tree One",
         "Contacts": {"records": [{"attributes": {"type": "Contact", "referenceId": "ref2"}, "LastName": "Lee"},
                                  {"attributes": {"type": "Contact", "referenceId": "ref3"}, "LastName": "Kim"}]}},
        {"attributes": {"type": "Account", "referenceId": "ref4"}, "Name": "Tree Two"}]}
    answer = raw("POST", "composite/tree/Account", tree)
    assert answer.status_code == 201
    body = answer.json()
    assert body["hasErrors"] is False
    assert [r["referenceId"] for r in body["results"]] == ["ref1", "ref4", "ref2", "ref3"]  # level by level
    ids = {r["referenceId"]: r["id"] for r in body["results"]}
    assert sf.get("Contact", ids["ref2"])["AccountId"] == ids["ref1"]
    broken = {"records": [{"attributes": {"type": "Account", "referenceId": "a"}, "Name": "Rolled back",
                           "Contacts": {"records": [{"attributes": {"type": "Contact", "referenceId": "c"},
                                                     "FirstName": "No last name"}]}}]}
    refused = raw("POST", "composite/tree/Account", broken)
    assert refused.status_code == 400
    assert refused.json() == {"hasErrors": True, "results": [{"referenceId": "c", "errors": [
        {"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [LastName]",
         "fields": ["LastName"]}]}]}
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Rolled back'")["totalSize"] == 0
    too_big = {"records": [{"attributes": {"type": "Account", "referenceId": f"r{i}"}, "Name": f"A{i}"}
                           for i in range(201)]}
    assert raw("POST", "composite/tree/Account", too_big).status_code == 400


@pytest.fixture
def deals(sf):
    account = _account(sf, "Initech")
    for name, stage, amount in [("a", "Prospecting", 100), ("b", "Prospecting", 300), ("c", "Closed Won", 50)]:
        sf.create("Opportunity", {"Name": name, "StageName": stage, "CloseDate": "2026-06-30", "Amount": amount,
                                  "AccountId": account})
    return account


def test_soql_group_by_with_aggregates_and_expr_aliases(sf, deals):
    rows = sf.query("SELECT StageName, COUNT(Id), SUM(Amount) total, AVG(Amount), MIN(Amount), MAX(CloseDate), "
                    "COUNT_DISTINCT(AccountId) FROM Opportunity GROUP BY StageName ORDER BY StageName")["records"]
    assert rows == [
        {"attributes": {"type": "AggregateResult"}, "StageName": "Closed Won", "expr0": 1, "total": 50.0,
         "expr1": 50.0, "expr2": 50.0, "expr3": "2026-06-30", "expr4": 1},
        {"attributes": {"type": "AggregateResult"}, "StageName": "Prospecting", "expr0": 2, "total": 400.0,
         "expr1": 200.0, "expr2": 100.0, "expr3": "2026-06-30", "expr4": 1}]
    whole = sf.query("SELECT COUNT(Id) n, SUM(Amount) FROM Opportunity WHERE Amount > 60")
    assert whole["totalSize"] == 1 and whole["records"][0] == {"attributes": {"type": "AggregateResult"}, "n": 2,
                                                              "expr0": 400.0}
    by_account = sf.query("SELECT Account.Name, COUNT(Id) FROM Opportunity GROUP BY Account.Name")["records"]
    assert by_account[0]["Name"] == "Initech" and by_account[0]["expr0"] == 3
    with pytest.raises(FatalError) as ungrouped:
        sf.query("SELECT Name, COUNT(Id) FROM Opportunity")
    assert ungrouped.value.detail["errorCode"] == "MALFORMED_QUERY"


def test_soql_fields_and_to_label(sf, deals, raw):
    standard = sf.query("SELECT FIELDS(STANDARD) FROM Account")["records"][0]
    assert "Name" in standard and "FreshBooks_Client_Id__c" not in standard
    custom = sf.query("SELECT FIELDS(CUSTOM) FROM Account LIMIT 200")["records"][0]
    assert set(custom) == {"attributes", "FreshBooks_Client_Id__c"}
    assert "Name" in sf.query("SELECT FIELDS(ALL) FROM Account LIMIT 10")["records"][0]
    unbounded = raw("GET", "query?q=" + requests.utils.quote("SELECT FIELDS(ALL) FROM Account"))
    assert unbounded.status_code == 400 and unbounded.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert "must have a LIMIT of at most 200" in unbounded.json()[0]["message"]
    twice = raw("GET", "query?q=" + requests.utils.quote("SELECT Id, FIELDS(STANDARD) FROM Account"))
    assert twice.json()[0]["errorCode"] == "INVALID_FIELD" and "duplicate field selected: Id" in twice.json()[0]["message"]
    stage = SfRecord.objects.get(sobject="OpportunityStage", fields__ApiName="Closed Won")
    stage.fields = {**stage.fields, "MasterLabel": "Won (label)"}
    stage.save()
    labelled = sf.query("SELECT Name, toLabel(StageName) FROM Opportunity WHERE Name = 'c'")["records"][0]
    assert labelled["StageName"] == "Won (label)"
    assert sf.query("SELECT StageName FROM Opportunity WHERE Name = 'c'")["records"][0]["StageName"] == "Closed Won"


@pytest.mark.parametrize("soql", [
    "SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName HAVING COUNT(Id) > 1",
    "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)",
    "SELECT CALENDAR_YEAR(CreatedDate) FROM Opportunity GROUP BY CALENDAR_YEAR(CreatedDate)",
    "SELECT Id FROM Account FOR UPDATE",
    "SELECT TYPEOF Owner WHEN User THEN Name END FROM Account",
])
def test_valid_but_unsupported_soql_is_not_called_malformed(raw, soql):
    answer = raw("GET", "query?q=" + requests.utils.quote(soql))
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "FUNCTIONALITY_NOT_ENABLED", answer.json()


@pytest.mark.parametrize("soql", ["SELEC Id FROM Account", "SELECT Id FROM Account WHERE", "SELECT Id, FROM Account",
                                  "SELECT COUNT( FROM Account", "SELECT Id Name FROM Account"])
def test_invalid_soql_stays_malformed(raw, soql):
    answer = raw("GET", "query?q=" + requests.utils.quote(soql))
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "MALFORMED_QUERY"


def _post_form(session: requests.Session, url: str, data: dict) -> requests.Response:
    page = session.get(url, timeout=20)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, data={"csrfmiddlewaretoken": token, **data}, headers={"Referer": url}, timeout=20)


def test_account_and_contact_can_be_edited_on_the_pages(sf, sf_root):
    account = _account(sf, "Hand Edited")
    contact = sf.create("Contact", {"LastName": "Lee", "Email": "lee@old.test", "AccountId": account})
    old = SfRecord.objects.get(sf_id=account)  # stamped an hour ago, so the edit's new stamp shows
    old.fields = {**old.fields, "SystemModstamp": "2026-01-01T09:00:00.000+0000"}
    old.save()
    before = sf.get("Account", account)["SystemModstamp"]
    SfChangeEvent.objects.all().delete()
    browser = requests.Session()
    listing = browser.get(f"{sf_root}/accounts/", timeout=20).text
    assert f"/sandbox/salesforce/accounts/{account}/" in listing
    saved = _post_form(browser, f"{sf_root}/accounts/{account}/", {"Name": "Hand Edited Ltd", "Phone": "555-0100"})
    assert saved.status_code == 200 and "Account saved: Name, Phone." in saved.text
    after = sf.get("Account", account)
    assert (after["Name"], after["Phone"]) == ("Hand Edited Ltd", "555-0100") and after["SystemModstamp"] > before
    event = SfChangeEvent.objects.get(entity="Account", change_type="UPDATE")
    assert {"Name", "Phone"} <= set(event.fields)
    _post_form(browser, f"{sf_root}/contacts/{contact}/", {"LastName": "Lee", "Email": "lee@new.test",
                                                           "AccountId": account})
    assert sf.get("Contact", contact)["Email"] == "lee@new.test"
    assert SfChangeEvent.objects.filter(entity="Contact", change_type="UPDATE").exists()
    refused = _post_form(browser, f"{sf_root}/contacts/{contact}/", {"LastName": "", "AccountId": account})
    assert "REQUIRED_FIELD_MISSING" in refused.text and sf.get("Contact", contact)["LastName"] == "Lee"

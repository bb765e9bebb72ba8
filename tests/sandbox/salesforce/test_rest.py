"""The simulated REST API's exact statuses, bodies and business rules (Django test client)."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.ids import id_checksum, id_is_valid
from integrations.sandbox.salesforce.oauth import grant_client_credentials

API = "/sandbox/salesforce/services/data/v62.0/"


@pytest.fixture
def api(client, db):
    sim.connected_app_ensure(consumer_key="k", consumer_secret="s")
    token = grant_client_credentials({"client_id": "k", "client_secret": "s"}, None, "http://testserver")["access_token"]

    def call(method, path, body=None, raw=None, version="62.0", **extra):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        root = API.replace("v62.0", f"v{version}")
        return getattr(client, method.lower())(root + path, data=data, content_type="application/json",
                                               HTTP_AUTHORIZATION=f"Bearer {token}", **extra)
    return call


def create(api, sobject, **fields):
    answer = api("POST", f"sobjects/{sobject}/", fields)
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def test_ids_have_prefix_and_checksum_and_datetimes_the_real_format(api):
    account = create(api, "Account", Name="Acme")
    assert account[:3] == "001" and len(account) == 18 and id_is_valid(account)
    assert id_checksum("001000000000000") == "AAA" and id_checksum("001A0000006Vm9r") == "IAC"
    record = api("GET", f"sobjects/Account/{account}").json()
    assert record["attributes"] == {"type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{account}"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", record["CreatedDate"])
    assert api("GET", f"sobjects/Account/{account[:15]}").json()["Id"] == account


def test_401_is_a_json_list_and_limit_header_on_every_call(client, api):
    answer = client.get(API + "limits/", HTTP_AUTHORIZATION="Bearer nope")
    assert answer.status_code == 401
    assert answer.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    ok = api("GET", "limits/")
    assert re.fullmatch(r"api-usage=\d+/15000", ok["Sforce-Limit-Info"])
    sim.api_budget_exhaust()
    refused = api("GET", "limits/")
    assert refused.status_code == 403 and refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


@pytest.mark.parametrize("raw, code", [("{bad", "JSON_PARSER_ERROR"), ("", "JSON_PARSER_ERROR"),
                                       ("[1, 2]", "JSON_PARSER_ERROR"), ('{"Name": {"x": 1}}', "JSON_PARSER_ERROR"),
                                       ('{"Nope__c": 1, "Name": "x"}', "INVALID_FIELD"),
                                       ('{"Name": "x", "IsDeleted": true}', "INVALID_FIELD_FOR_INSERT_UPDATE"),
                                       ('{"Name": "' + "x" * 300 + '"}', "STRING_TOO_LONG"),
                                       ('{"Name": "x", "OwnerId": "abc"}', "MALFORMED_ID")])
def test_malformed_bodies_get_real_error_bodies(api, raw, code):
    answer = api("POST", "sobjects/Account/", raw=raw)
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == code


@pytest.mark.parametrize("soql, code", [
    ("SELECT Id FRM Account", "MALFORMED_QUERY"), ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = 'a' AND Phone = 'b' OR Id = null", "MALFORMED_QUERY"),
    ("SELECT Nope FROM Account", "INVALID_FIELD"), ("SELECT Id FROM Nope", "INVALID_TYPE"),
    ("SELECT Id, (SELECT Id FROM Nopes) FROM Account", "INVALID_TYPE"),
    ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
    ("SELECT Id FROM Opportunity WHERE IsWon = 'true'", "INVALID_QUERY_FILTER_OPERATOR"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01", "INVALID_QUERY_FILTER_OPERATOR"),
    ("SELECT Id FROM Account WHERE Id = 'not-an-id'", "INVALID_QUERY_FILTER_OPERATOR"),
])
def test_bad_soql_gets_the_real_errors(api, soql, code):
    answer = api("GET", "query/?" + urlencode({"q": soql}))
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == code, answer.json()
    assert "ERROR at Row:1:Column:" in answer.json()[0]["message"]


def test_stage_drives_closed_won_and_amount_rolls_up_from_products(api):
    account = create(api, "Account", Name="Acme")
    opp = create(api, "Opportunity", Name="Deal", StageName="Prospecting", CloseDate="2026-12-31", AccountId=account,
                 Amount=100)
    record = api("GET", f"sobjects/Opportunity/{opp}").json()
    assert (record["IsClosed"], record["IsWon"], record["Probability"], record["ExpectedRevenue"]) == (False, False,
                                                                                                      10.0, 10.0)
    entry = sim.product_with_price_create(name="Gadget", code="G-1", unit_price=40)
    bad = api("POST", "sobjects/OpportunityLineItem/", {"OpportunityId": opp, "PricebookEntryId": entry,
                                                        "Quantity": 2, "UnitPrice": 40, "TotalPrice": 80})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    line = create(api, "OpportunityLineItem", OpportunityId=opp, PricebookEntryId=entry, Quantity=2, UnitPrice=40)
    assert api("PATCH", f"sobjects/Opportunity/{opp}", {"Amount": 5, "StageName": "Closed Won"}).status_code == 204
    record = api("GET", f"sobjects/Opportunity/{opp}").json()
    assert (record["Amount"], record["IsWon"], record["IsClosed"], record["Probability"]) == (80.0, True, True, 100.0)
    assert record["HasOpportunityLineItem"] is True and record["Pricebook2Id"]
    # Quantity alone keeps TotalPrice and recomputes UnitPrice.
    api("PATCH", f"sobjects/OpportunityLineItem/{line}", {"Quantity": 4})
    item = api("GET", f"sobjects/OpportunityLineItem/{line}").json()
    assert (item["Quantity"], item["UnitPrice"], item["TotalPrice"]) == (4.0, 20.0, 80.0)
    assert api("DELETE", f"sobjects/OpportunityLineItem/{line}").status_code == 204
    assert api("GET", f"sobjects/OpportunityLineItem/{line}").status_code == 404  # hard delete, no recycle bin
    bad_stage = api("PATCH", f"sobjects/Opportunity/{opp}", {"StageName": "Maybe"})
    assert bad_stage.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert api("PATCH", f"sobjects/Opportunity/{opp}", {"IsWon": True}).status_code == 400


def test_currency_iso_code_absent_or_present(api):
    assert api("GET", "query/?q=SELECT+CurrencyIsoCode+FROM+Account").json()[0]["errorCode"] == "INVALID_FIELD"
    sim.org_configure(multi_currency=True)
    account = create(api, "Account", Name="Euro", CurrencyIsoCode="EUR")
    rows = api("GET", "query/?q=SELECT+CurrencyIsoCode+FROM+Account").json()["records"]
    assert rows[0]["CurrencyIsoCode"] == "EUR" and account


def test_upsert_statuses_and_errors(api):
    created = api("PATCH", "sobjects/Account/FreshBooks_Client_Id__c/42", {"Name": "A"})
    assert created.status_code == 201 and created.json()["created"] is True
    updated = api("PATCH", "sobjects/Account/FreshBooks_Client_Id__c/42", {"Name": "B"})
    assert updated.status_code == 200 and updated.json() == {"id": created.json()["id"], "success": True,
                                                             "errors": [], "created": False}
    legacy = api("PATCH", "sobjects/Account/FreshBooks_Client_Id__c/42", {"Name": "C"}, version="45.0")
    assert legacy.status_code == 204 and legacy.content == b""
    missing_field = api("PATCH", "sobjects/Account/Nope__c/1", {"Name": "x"})
    assert missing_field.status_code == 404 and missing_field.json()[0]["errorCode"] == "NOT_FOUND"
    update_only = api("PATCH", "sobjects/Account/FreshBooks_Client_Id__c/77?updateOnly=true", {"Name": "x"})
    assert update_only.status_code == 404


def test_collections_cap_and_composite_limits(api):
    too_many = api("POST", "composite/sobjects", {"records": [{"attributes": {"type": "Account"}, "Name": "x"}] * 201})
    assert too_many.status_code == 400 and too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    subs = [{"method": "GET", "url": "/services/data/v62.0/limits", "referenceId": f"r{n}"} for n in range(26)]
    assert api("POST", "composite", {"compositeRequest": subs}).status_code == 400
    bad_ref = api("POST", "composite", {"compositeRequest": [
        {"method": "GET", "url": "/services/data/v62.0/sobjects/Account/@{missing.id}", "referenceId": "a"}]})
    assert bad_ref.status_code == 200
    assert bad_ref.json()["compositeResponse"][0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert api("POST", "composite", raw="{nope").json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_unknown_resources_methods_and_retired_versions(api):
    assert api("GET", "sobjects/Nope/001000000000000AAA").status_code == 404
    assert api("PUT", "sobjects/Account/").status_code == 405
    assert api("GET", "limits", version="30.0").status_code == 410
    assert api("GET", "query/01gXXXXXXXXXXXX-2000").json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"

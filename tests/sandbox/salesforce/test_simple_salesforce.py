"""simple-salesforce's own calls, unmodified, against the simulator (through the transport
adapter only)."""
from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest, \
    SalesforceResourceNotFound

from integrations.connectors.salesforce.transport import session_for
from integrations.sandbox.salesforce import services as sim


@pytest.fixture
def plain_sf(sf_connection):
    instance = sf_connection.settings["instance_url"]
    return Salesforce(instance_url=instance, session_id=sf_connection.get_secret("access_token"),
                      session=session_for(instance, simulator=True))


def test_sftype_crud_upsert_and_query(plain_sf):
    created = plain_sf.Account.create({"Name": "Plain", "FreshBooks_Client_Id__c": "P-1"})
    assert created["success"] is True and created["id"].startswith("001")
    assert plain_sf.Account.get(created["id"])["Name"] == "Plain"
    assert plain_sf.Account.get_by_custom_id("FreshBooks_Client_Id__c", "P-1")["Id"] == created["id"]
    assert plain_sf.Account.update(created["id"], {"Phone": "9"}) == 204
    assert plain_sf.Account.upsert("FreshBooks_Client_Id__c/P-1", {"Name": "Plain 2"}) == 200
    assert plain_sf.Account.upsert("FreshBooks_Client_Id__c/P-2", {"Name": "New"}) == 201
    assert plain_sf.query("SELECT Name FROM Account ORDER BY Name")["totalSize"] == 2
    assert plain_sf.api_usage["api-usage"].used > 0
    sim.org_configure(query_page_size=1)
    assert [r["Name"] for r in plain_sf.query_all_iter("SELECT Name FROM Account ORDER BY Name")] == ["New", "Plain 2"]
    assert plain_sf.query_all("SELECT Id FROM Account")["totalSize"] == 2
    assert plain_sf.Account.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        plain_sf.Account.get(created["id"])
    assert plain_sf.Account.describe()["keyPrefix"] == "001"
    assert plain_sf.limits()["DailyApiRequests"]["Max"] == 15000


def test_restful_collections_and_composite(plain_sf):
    rows = plain_sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": False, "records": [{"attributes": {"type": "Account"}, "Name": "A"},
                                        {"attributes": {"type": "Account"}}]})
    assert rows[0]["success"] and rows[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    result = plain_sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Account", "referenceId": "a", "body": {"Name": "B"}},
        {"method": "GET", "url": "/services/data/v59.0/sobjects/Account/@{a.id}", "referenceId": "b"}]})
    assert [r["httpStatusCode"] for r in result["compositeResponse"]] == [201, 200]


def test_errors_map_to_simple_salesforce_exceptions(plain_sf):
    with pytest.raises(SalesforceMalformedRequest) as bad:
        plain_sf.query("SELECT Id FRM Account")
    assert bad.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    sim.sessions_expire_now()
    with pytest.raises(SalesforceExpiredSession) as expired:
        plain_sf.query("SELECT Id FROM Account")
    assert expired.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

"""The SOQL subset (in-process), and the connector's builder round-tripping through it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from integrations.connectors.salesforce.soql import like_contains, soql_format, soql_identifier, soql_quote
from integrations.sandbox.salesforce.org import org_get
from integrations.sandbox.salesforce.soql import SoqlError, soql_execute
from integrations.sandbox.salesforce.writes import record_create


def run(soql, **kw):
    return soql_execute(soql, version="62.0", page_size=kw.pop("page_size", 2000), **kw)


@pytest.fixture
def accounts(db):
    org_get()
    ids = [record_create("Account", {"Name": name, "Phone": phone, "BillingCity": city})
           for name, phone, city in [("Acme Corp", "1", "Paris"), ("acme_ltd", None, "Oslo"), ("Beta", "3", None)]]
    return ids


def names(result):
    return [r["Name"] for r in result["records"]]


def test_where_like_in_not_and_order(accounts):
    assert names(run("SELECT Name FROM Account WHERE Name LIKE 'acme%' ORDER BY Name")) == ["Acme Corp", "acme_ltd"]
    assert names(run(r"SELECT Name FROM Account WHERE Name LIKE '%\_%'")) == ["acme_ltd"]
    assert names(run("SELECT Name FROM Account WHERE BillingCity IN ('Paris', 'oslo') ORDER BY Name DESC")) == \
        ["acme_ltd", "Acme Corp"]
    assert names(run("SELECT Name FROM Account WHERE NOT Name = 'Beta' AND Phone != null")) == ["Acme Corp"]
    assert names(run("SELECT Name FROM Account WHERE (Phone = '1' OR Phone = '3') AND BillingCity NOT IN ('Paris')")) \
        == ["Beta"]
    assert names(run("SELECT Name FROM Account ORDER BY BillingCity NULLS LAST, Name LIMIT 2 OFFSET 1")) == \
        ["Acme Corp", "Beta"]
    assert run("SELECT COUNT() FROM Account WHERE Name LIKE 'A%'") == {"totalSize": 2, "done": True, "records": []}


def test_date_literals_and_datetimes(accounts):
    assert len(run("SELECT Id FROM Account WHERE CreatedDate = TODAY")["records"]) == 3
    assert len(run("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:3")["records"]) == 3
    assert run("SELECT Id FROM Account WHERE CreatedDate < YESTERDAY")["records"] == []
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(run(f"SELECT Id FROM Account WHERE SystemModstamp > {past}")["records"]) == 3
    with pytest.raises(SoqlError):
        run("SELECT Id FROM Account WHERE CreatedDate = SOMEDAY")


def test_parent_fields_and_child_subqueries(accounts):
    contact = record_create("Contact", {"LastName": "Lee", "AccountId": accounts[0]})
    rows = run("SELECT Id, Account.Name, Account.Owner.Name FROM Contact")["records"]
    assert rows[0]["Account"]["Name"] == "Acme Corp" and rows[0]["Account"]["Owner"]["Name"] == "Integration User"
    result = run("SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name")
    by_name = {r["Name"]: r["Contacts"] for r in result["records"]}
    assert by_name["Acme Corp"]["records"][0]["LastName"] == "Lee" and by_name["Beta"] is None
    assert run("SELECT Id FROM Contact WHERE Account.Name = 'ACME CORP'")["records"][0]["Id"] == contact
    assert run("SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Beta'",
               empty_subquery_null=False)["records"][0]["Contacts"] == {"totalSize": 0, "done": True, "records": []}


def test_builder_rejects_non_identifiers_and_unsafe_values():
    with pytest.raises(ValueError):
        soql_identifier("Name; DELETE")
    with pytest.raises(ValueError):
        soql_quote(float("nan"))
    assert soql_format("SELECT Id FROM Account WHERE Id IN {ids}", ids=["a", "b"]) == \
        "SELECT Id FROM Account WHERE Id IN ('a', 'b')"
    assert soql_format("SELECT {f:field} FROM Account", f="Name") == "SELECT Name FROM Account"


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=30))
def test_any_text_round_trips_through_quote_and_parser(db, text):
    org_get()
    name = text.replace("\x00", "")[:255] or "x"
    record_create("Account", {"Name": name})
    found = run(soql_format("SELECT Name FROM Account WHERE Name = {name}", name=name))["records"]
    assert name in [r["Name"] for r in found]
    contains = run(soql_format("SELECT Name FROM Account WHERE Name LIKE {p}", p=like_contains(name)))["records"]
    assert name in [r["Name"] for r in contains]


def test_subqueries_group_children_per_parent_and_id_filters_narrow(accounts):
    from django.test.utils import CaptureQueriesContext
    from django.db import connection

    for acc in accounts[:2]:
        for i in range(2):
            record_create("Contact", {"LastName": f"{acc[-4:]}-{i}", "AccountId": acc})
    soql = "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName DESC) FROM Account ORDER BY Name"
    with CaptureQueriesContext(connection) as queries:
        result = run(soql)
    by_name = {r["Name"]: r["Contacts"] for r in result["records"]}
    assert [c["LastName"] for c in by_name["Acme Corp"]["records"]] == \
        sorted((f"{accounts[0][-4:]}-{i}" for i in range(2)), reverse=True)
    assert by_name["Beta"] is None  # no children: null (the simulator's default)
    # one read of the parents and one of all children, however many parents there are
    assert sum("sandbox_salesforce_sfrecord" in q["sql"] for q in queries.captured_queries) == 2
    assert names(run(f"SELECT Name FROM Account WHERE Id IN ('{accounts[0]}', '{accounts[2]}') AND Name != 'Beta'")) \
        == ["Acme Corp"]
    assert names(run(f"SELECT Name FROM Account WHERE Id = '{accounts[1][:15]}'")) == ["acme_ltd"]

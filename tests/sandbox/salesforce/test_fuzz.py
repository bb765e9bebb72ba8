"""Whatever arrives, the simulator answers with an error body, never a 500."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.oauth import grant_client_credentials

API = "/sandbox/salesforce/services/data/v62.0/"
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner,
                                                                                 max_size=4), max_leaves=12)
SOQL_WORDS = st.sampled_from(["SELECT", "Id", "Name", ",", "FROM", "Account", "WHERE", "=", "'x'", "(", ")", "AND",
                              "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT", "5", "TODAY", "Account.Name",
                              "COUNT()", "Contacts", "null", "true", "2024-01-01", ">", "OFFSET", "\\", "'"])
FUZZ = hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def auth(db):
    sim.connected_app_ensure(consumer_key="k", consumer_secret="s")
    token = grant_client_credentials({"client_id": "k", "client_secret": "s"}, None, "http://testserver")
    return f"Bearer {token['access_token']}"


@FUZZ
@given(body=JSON, path=st.sampled_from(["sobjects/Account/", "sobjects/Opportunity/", "composite/sobjects",
                                        "composite", "sobjects/Account/FreshBooks_Client_Id__c/9"]),
       method=st.sampled_from(["post", "patch"]))
def test_any_json_body_gets_a_4xx_or_success(client, auth, body, path, method):
    answer = getattr(client, method)(API + path, data=json.dumps(body), content_type="application/json",
                                     HTTP_AUTHORIZATION=auth)
    assert answer.status_code < 500, answer.content


@FUZZ
@given(words=st.lists(SOQL_WORDS, min_size=1, max_size=12))
def test_any_soql_gets_a_4xx_or_success(client, auth, words):
    answer = client.get(API + "query/", {"q": " ".join(words)}, HTTP_AUTHORIZATION=auth)
    assert answer.status_code in (200, 400), answer.content

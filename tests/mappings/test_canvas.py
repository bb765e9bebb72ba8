"""The mapping canvas's JSON endpoints: what it reads (schema fields with a sample's values, links, samples),
the links it saves on the draft (with transforms, checked against the schemas), and who may do either."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from integrations.permissions import FINANCE_GROUP
from mappings.models import FieldMapping, MappingChange
from mappings.schemas import Schema, SchemaField, schema_build, schema_field
from tests.factories import FlowFactory, SyncItemFactory
from tests.integrations.staff_dataset import users
from tests.mappings.builders import mapping_set_make
from tests.security.test_csp import PageParts

pytestmark = pytest.mark.django_db
CLIENT = {"id": 7, "organization": "  Umbrella  ", "p_city": "Raccoon City", "email": "alice@umbrella.test"}


@pytest.fixture
def draft():
    """FreshBooks client → Salesforce Account with one link, and a synced client to preview."""
    ms = mapping_set_make([{"target_field": "Name", "source_path": "organization"}], name="client-to-account",
                          source_system="freshbooks", source_object="client", target_system="salesforce",
                          target_object="Account")
    item = SyncItemFactory(flow=FlowFactory(mapping_set=ms), source_object="client", source_snapshot=CLIENT)
    return ms, f"syncitem:{item.pk}"


def _url(name, ms):
    return reverse(f"admin:mappings_mappingset_canvas_{name}", args=[ms.pk])


def _post(client, url, body):
    return client.post(url, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json")


def test_the_canvas_reads_both_schemas_a_samples_values_and_the_links(admin_client, draft):
    ms, sample = draft
    page = admin_client.get(reverse("admin:mappings_mappingset_canvas", args=[ms.pk])).content.decode()
    assert 'src="/static/mappings/canvas.js"' in page and "<script>" not in page  # served by the app, nothing inline
    state = admin_client.get(_url("data", ms)).json()
    sources = {f["path"]: f for f in state["sources"]}
    assert sources["p_city"]["sample"] == "Raccoon City" and sources["email"]["type"] == "email"
    targets = {f["path"]: f for f in state["targets"]}
    assert targets["Name"]["required"] and not targets["Name"]["missing"]  # required, and linked
    assert [(link["source_path"], link["target_field"]) for link in state["links"]] == [("organization", "Name")]
    assert state["samples"][0]["key"] == sample and "upper" in [t["name"] for t in state["transforms"]]
    FieldMapping.objects.filter(mapping_set=ms).delete()
    assert {f["path"]: f for f in admin_client.get(_url("data", ms)).json()["targets"]}["Name"]["missing"]


def test_a_link_with_a_transform_is_saved_on_the_draft_and_changes_the_preview(admin_client, draft):
    ms, sample = draft
    before = admin_client.get(_url("preview", ms), {"sample": sample}).json()
    assert before["payload"] == {"Name": "  Umbrella  "} and before["errors"] == []
    response = _post(admin_client, _url("link", ms), {"source_path": "p_city", "target_field": "BillingCity"})
    assert response.status_code == 200, response.content
    link = response.json()["link"]
    response = _post(admin_client, _url("link", ms), {**link, "transforms": [{"name": "upper"}], "label": None})
    assert response.status_code == 400 and "Unknown keys: label" in response.json()["error"]
    del link["label"]
    response = _post(admin_client, _url("link", ms), {**link, "transforms": [{"name": "upper"}]})
    assert response.status_code == 200
    fm = FieldMapping.objects.get(mapping_set=ms, target_field="BillingCity")
    assert (fm.source_path, fm.transforms) == ("p_city", [{"name": "upper"}])
    assert MappingChange.objects.filter(mapping_set=ms, object_repr__startswith="BillingCity").count() == 2
    after = admin_client.get(_url("preview", ms), {"sample": sample}).json()
    assert after["payload"] == {"Name": "  Umbrella  ", "BillingCity": "RACCOON CITY"}
    assert _post(admin_client, _url("unlink", ms), {"id": fm.pk}).json() == {"deleted": True}
    assert not FieldMapping.objects.filter(mapping_set=ms, target_field="BillingCity").exists()


@pytest.mark.parametrize("body, says", [
    ({"source_path": "p_city", "target_field": "Bilingcity"}, "salesforce Account has no target field 'Bilingcity'. "
                                                               "Its fields: Id, Name, BillingStreet"),
    ({"source_path": "city", "target_field": "BillingCity"}, "freshbooks client has no source field 'city'. "
                                                             "Its fields: id, organization"),
    ({"source_path": "p_city", "target_field": "BillingCity", "transforms": [{"name": "shout"}]},
     "Unknown transform 'shout'"),
    ({"source_path": "p_city", "target_field": "BillingCity", "condition": {"field": "x", "op": "nearly"}}, "Condition:"),
    ({"source_path": "organization", "target_field": "Name"}, "'Name' is already linked"),
    ({"id": 999999, "source_path": "p_city", "target_field": "BillingCity"}, "has no link 999999"),
    ({"source_path": "p_city"}, "A link needs a target_field"),
    ({"source_path": "p_city", "target_field": "Billing" * 40}, "at most 200 fit"),
    ({"source_path": "p_city", "target_field": "BillingCity", "transforms": "upper"}, "must be a list"),
    ({"source_path": "p_city", "target_field": "BillingCity", "condition": "if it rains"}, "Condition:"),
    ({"source_path": "p_city", "target_field": "BillingCity", "colour": "red"}, "Unknown keys: colour"),
    ("[1, 2", "The request body is not valid JSON"),
    ("[1, 2]", "Send a JSON object"),
])
def test_bad_links_are_refused_with_a_sentence_and_change_nothing(admin_client, draft, body, says):
    ms, _ = draft
    response = _post(admin_client, _url("link", ms), body)
    assert response.status_code == 400 and says in response.json()["error"], response.content
    assert list(FieldMapping.objects.filter(mapping_set=ms).values_list("target_field", flat=True)) == ["Name"]


def test_a_published_set_and_a_missing_sample_are_refused_with_a_sentence(admin_client, draft):
    ms, _ = draft
    ms.status = "published"
    ms.save()
    response = _post(admin_client, _url("link", ms), {"source_path": "p_city", "target_field": "BillingCity"})
    assert response.status_code == 400 and "start a new draft" in response.json()["error"]
    response = _post(admin_client, _url("unlink", ms), {"id": ms.field_mappings.get().pk})
    assert response.status_code == 400 and ms.field_mappings.count() == 1
    response = admin_client.get(_url("preview", ms), {"sample": "syncitem:0"})
    assert response.status_code == 400 and "no longer exists" in response.json()["error"]


def test_finance_may_look_at_the_canvas_but_not_change_a_link(client, draft, django_user_model):
    ms, sample = draft
    client.force_login(users(django_user_model)[FINANCE_GROUP])
    assert client.get(_url("data", ms)).status_code == 200
    assert client.get(_url("preview", ms), {"sample": sample}).status_code == 200
    assert _post(client, _url("link", ms), {"source_path": "p_city", "target_field": "BillingCity"}).status_code == 403
    assert _post(client, _url("unlink", ms), {"id": ms.field_mappings.get().pk}).status_code == 403
    assert ms.field_mappings.count() == 1
    client.logout()
    assert client.get(_url("data", ms)).status_code == 302  # to the login page


@dataclass(frozen=True)
class DescribedField(SchemaField):
    """A field as a describe-based provider may give it: more keys than mappings' own SchemaField."""

    picklist: tuple = ()
    createable: bool = True
    external_id: bool = False


def described_schemas():
    return [
        schema_build("freshbooks", "invoice", [schema_field("invoice_number"), schema_field("v3_status", "code")]),
        Schema("salesforce", "FreshBooks_Invoice__c", {f.name: f for f in [
            DescribedField("Name", "text", 80, True),
            DescribedField("Status__c", "picklist", picklist=({"value": "paid", "label": "Paid"},)),
            DescribedField("FreshBooks_Id__c", "text", external_id=True),
            DescribedField("Link__c", "url", createable=False)]}),
    ]


def test_extra_keys_of_a_described_schema_reach_the_canvas_and_unknown_fields_are_named(admin_client, settings):
    settings.LEDGERLINK_SCHEMA_PROVIDER = "tests.mappings.test_canvas.described_schemas"
    ms = mapping_set_make([], name="invoice-to-custom", source_system="freshbooks", source_object="invoice",
                          target_system="salesforce", target_object="FreshBooks_Invoice__c")
    targets = {f["path"]: f for f in admin_client.get(_url("data", ms)).json()["targets"]}
    assert targets["Status__c"]["picklist"] == [{"value": "paid", "label": "Paid"}]
    assert targets["FreshBooks_Id__c"]["external_id"] and targets["Link__c"]["createable"] is False
    assert targets["Name"]["missing"] and targets["Name"]["max_length"] == 80
    response = _post(admin_client, _url("link", ms), {"source_path": "v3_status", "target_field": "Stat__c"})
    assert response.status_code == 400  # describe lists every field: a misspelt custom field is refused
    assert response.json()["error"] == ("salesforce FreshBooks_Invoice__c has no target field 'Stat__c'. "
                                        "Its fields: Name, Status__c, FreshBooks_Id__c, Link__c.")
    assert _post(admin_client, _url("link", ms), {"source_path": "v3_status", "target_field": "Status__c"}).status_code == 200
    response = _post(admin_client, _url("link", ms), {"source_path": "number", "target_field": "Name"})
    assert response.status_code == 400
    assert response.json()["error"] == ("freshbooks invoice has no source field 'number'. "
                                        "Its fields: invoice_number, v3_status.")


def test_the_canvas_page_needs_nothing_the_content_security_policy_forbids(admin_client, draft):
    ms, _ = draft
    response = admin_client.get(reverse("admin:mappings_mappingset_canvas", args=[ms.pk]))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = PageParts()
    page.feed(response.content.decode())
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert page.problems == [] and all(value == nonce for _, value in page.nonces)


def test_out_of_range_ids_are_answered_not_crashed_on(admin_client, draft):
    ms, _ = draft
    huge = "9" * 30
    assert admin_client.get(_url("preview", ms), {"sample": f"syncitem:{huge}"}).status_code == 400
    assert admin_client.get(_url("data", ms), {"sample": f"syncitem:{huge}"}).status_code == 200
    response = _post(admin_client, _url("link", ms), {"id": int(huge), "source_path": "p_city", "target_field": "BillingCity"})
    assert response.status_code == 400 and "has no link" in response.json()["error"]
    assert _post(admin_client, _url("unlink", ms), {"id": huge}).status_code == 400


def test_money_parts_of_the_shipped_invoice_schema_are_fields_on_the_canvas(admin_client):
    """The demo's invoice → FreshBooks_Invoice__c set links amount.amount and outstanding.amount: their source
    fields (parts of a money value) are listed, so the canvas can draw those links; a list's items are not."""
    ms = mapping_set_make([{"target_field": "Total__c", "source_path": "amount.amount"}], name="invoice-to-record",
                          source_system="freshbooks", source_object="invoice", target_system="salesforce",
                          target_object="FreshBooks_Invoice__c")
    sources = {f["path"]: f for f in admin_client.get(_url("data", ms)).json()["sources"]}
    assert sources["amount.amount"]["type"] == "decimal" and sources["outstanding.code"]["type"] == "code"
    assert "lines" not in sources and not any(p.startswith("lines.") for p in sources)


def test_a_link_to_a_read_only_field_of_the_custom_object_is_refused(admin_client):
    """FreshBooks_Invoice__c's system fields (CreatedDate…) are neither createable nor updateable: a link to one
    would fail every sync, so the canvas refuses it with a sentence and saves nothing."""
    ms = mapping_set_make([], name="invoice-to-record", source_system="freshbooks", source_object="invoice",
                          target_system="salesforce", target_object="FreshBooks_Invoice__c")
    response = _post(admin_client, _url("link", ms), {"source_path": "create_date", "target_field": "CreatedDate"})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == ("salesforce FreshBooks_Invoice__c's CreatedDate is read-only "
                                        "(neither createable nor updateable); link a field Ledgerlink may write.")
    assert not ms.field_mappings.exists()
    assert _post(admin_client, _url("link", ms), {"source_path": "create_date", "target_field": "Issue_Date__c"}).status_code == 200

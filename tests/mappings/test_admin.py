"""Admin: preview, suggestions, regression check before publishing, validation on save, history."""
from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import Flow
from mappings.models import FieldMapping, MappingChange, MappingSet
from mappings.services import mapping_set_publish
from tests.factories import FlowFactory, InboundEventFactory, SyncItemFactory
from tests.mappings.builders import mapping_set_make

pytestmark = pytest.mark.django_db

ACCOUNT = {"Id": "001000000000001AAA", "Name": "American Cyanamid", "BillingCity": "Toronto", "Phone": "abc"}
FIELDS = [
    {"target_field": "organization", "source_path": "Name", "required": True},
    {"target_field": "p_city", "source_path": "BillingCity"},
]


def account_set(**kw):
    return mapping_set_make(FIELDS, name="salesforce-account-to-freshbooks-client", source_object="Account",
                            target_object="client", **kw)


def test_preview_shows_output_and_every_error_for_a_real_sync_item(admin_client):
    ms = account_set()
    flow = FlowFactory(mapping_set=ms)
    item = SyncItemFactory(flow=flow, source_snapshot={"BillingCity": "Toronto"})
    url = reverse("admin:mappings_mappingset_preview", args=[ms.pk])
    page = admin_client.get(url).content.decode()
    assert f"syncitem:{item.pk}" in page
    page = admin_client.post(url, {"sample": f"syncitem:{item.pk}"}).content.decode()
    assert "1 error" in page and "Organization is required but has no value (Name is empty)" in page
    assert "&quot;p_city&quot;: &quot;Toronto&quot;" in page


def test_preview_of_pasted_json_and_of_an_inbound_event(admin_client):
    ms = account_set()
    url = reverse("admin:mappings_mappingset_preview", args=[ms.pk])
    page = admin_client.post(url, {"pasted": '{"Name": "Acme", "BillingCity": "Oslo"}'}).content.decode()
    assert "No errors" in page and "&quot;organization&quot;: &quot;Acme&quot;" in page
    page = admin_client.post(url, {"pasted": '{"Name": '}).content.decode()
    assert "The pasted text is not valid JSON" in page
    event = InboundEventFactory(connection__system="salesforce", object_type="Account", payload={"Name": "Evented"})
    page = admin_client.post(url, {"sample": f"event:{event.pk}"}).content.decode()
    assert "&quot;organization&quot;: &quot;Evented&quot;" in page


def test_suggestions_rank_obvious_pairs_first_and_accept_creates_a_draft_mapping(admin_client):
    ms = mapping_set_make([], name="opp", source_object="Opportunity", target_object="invoice")
    url = reverse("admin:mappings_mappingset_suggestions", args=[ms.pk])
    response = admin_client.get(url)
    suggestions = response.context["suggestions"]
    top = [(s.source_path, s.target_field) for s in suggestions[:4]]
    assert ("Account.Name", "organization") in top and ("CloseDate", "create_date") in top
    assert "heuristics" in response.content.decode()
    admin_client.post(url, {"source_path": "CloseDate", "target_field": "create_date"})
    fm = FieldMapping.objects.get(mapping_set=ms, target_field="create_date")
    assert fm.source_path == "CloseDate" and fm.transforms == [{"name": "to_date"}]
    assert MappingChange.objects.filter(mapping_set=ms, action="created").exists()
    # an already-mapped target is not proposed again
    assert "create_date" not in [s.target_field for s in admin_client.get(url).context["suggestions"]]


def test_account_schema_suggests_name_to_organization_first(admin_client):
    ms = mapping_set_make([], name="acc", source_object="Account", target_object="client")
    suggestions = admin_client.get(reverse("admin:mappings_mappingset_suggestions", args=[ms.pk])).context["suggestions"]
    by_target = {s.target_field: s.source_path for s in suggestions}
    assert by_target["organization"] == "Name" and by_target["p_street"] == "BillingStreet"
    assert suggestions[0].confidence >= 90


def test_regression_diff_and_confirmation_before_publishing(admin_client):
    published = account_set(status="published", version=1)
    flow = FlowFactory(mapping_set=published)
    SyncItemFactory(flow=flow, source_snapshot=ACCOUNT)
    draft = mapping_set_make([{"target_field": "organization", "source_path": "Name",
                               "transforms": [{"name": "upper"}]}, FIELDS[1]],
                             name=published.name, version=2, source_object="Account", target_object="client")
    url = reverse("admin:mappings_mappingset_publish", args=[draft.pk])
    response = admin_client.get(url)
    report = response.context["report"]
    assert report.outputs_change
    assert report.changed_rows[0].changes == [("organization", "American Cyanamid", "AMERICAN CYANAMID")]
    assert "AMERICAN CYANAMID" in response.content.decode()
    admin_client.post(url, {})  # no confirmation: nothing happens
    assert MappingSet.objects.get(pk=draft.pk).status == "draft"
    admin_client.post(url, {"confirm": "yes"})
    draft.refresh_from_db(), published.refresh_from_db(), flow.refresh_from_db()
    assert (draft.status, published.status, flow.mapping_set_id) == ("published", "retired", draft.pk)
    assert list(MappingChange.objects.filter(action__in=["published", "retired"]).values_list("action", flat=True))


def test_publish_without_changes_needs_no_confirmation_and_bad_config_blocks_it(admin_client):
    published = account_set(status="published", version=1)
    SyncItemFactory(flow=FlowFactory(mapping_set=published), source_snapshot=ACCOUNT)
    same = mapping_set_make(FIELDS, name=published.name, version=2, source_object="Account", target_object="client")
    url = reverse("admin:mappings_mappingset_publish", args=[same.pk])
    assert "Every output is the same" in admin_client.get(url).content.decode()
    admin_client.post(url, {})
    assert MappingSet.objects.get(pk=same.pk).status == "published"
    broken = mapping_set_make([{"target_field": "no_such_field", "source_path": "Name"}], name="x",
                              source_object="Account", target_object="client")
    page = admin_client.post(reverse("admin:mappings_mappingset_publish", args=[broken.pk]), {}).content.decode()
    assert "freshbooks client has no such field" in page
    assert MappingSet.objects.get(pk=broken.pk).status == "draft"


def _inline_post(ms, rows):
    data = {"name": ms.name, "source_system": ms.source_system, "source_object": ms.source_object,
            "target_system": ms.target_system, "target_object": ms.target_object, "version": ms.version, "notes": "",
            "field_mappings-TOTAL_FORMS": len(rows), "field_mappings-INITIAL_FORMS": 0,
            "field_mappings-MIN_NUM_FORMS": 0, "field_mappings-MAX_NUM_FORMS": 1000}
    for i, row in enumerate(rows):
        base = {"order": i, "kind": "field", "target_field": "", "source_path": "", "transforms": "[]", "default": "null",
                "condition": "null", "on_too_long": "truncate", "label": "", "item_label": "", "notes": ""}
        data.update({f"field_mappings-{i}-{k}": v for k, v in {**base, **row}.items()})
    return data


@pytest.mark.parametrize("row, message", [
    ({"target_field": "organization", "transforms": '[{"name": "exec"}]'}, "Unknown transform"),
    ({"target_field": "organization", "transforms": '[{"name": "truncate", "args": {"length": "x"}}]'},
     "must be a whole number"),
    ({"target_field": "favourite_colour", "source_path": "Name"}, "freshbooks client has no field"),
    ({"target_field": "organization", "transforms": "[{oops"}, "Enter a valid JSON"),
])
def test_validation_on_save_rejects_bad_configuration(admin_client, row, message):
    ms = account_set()
    response = admin_client.post(reverse("admin:mappings_mappingset_change", args=[ms.pk]), _inline_post(ms, [row]))
    assert response.status_code == 200 and message in response.content.decode()
    assert ms.field_mappings.count() == 2  # nothing changed


def test_validation_on_save_rejects_condition_cycles(admin_client):
    ms = mapping_set_make([], name="cyc", source_object="Account", target_object="client")
    rows = [{"target_field": "fname", "source_path": "Name", "condition": '{"target": "lname", "op": "not_blank"}'},
            {"target_field": "lname", "source_path": "Name", "condition": '{"target": "fname", "op": "not_blank"}'}]
    response = admin_client.post(reverse("admin:mappings_mappingset_change", args=[ms.pk]), _inline_post(ms, rows))
    assert "depend on each other in a cycle" in response.content.decode()
    assert ms.field_mappings.count() == 0


def test_saving_records_history_with_before_and_after(admin_client):
    ms = mapping_set_make([], name="hist", source_object="Account", target_object="client")
    url = reverse("admin:mappings_mappingset_change", args=[ms.pk])
    response = admin_client.post(url, _inline_post(ms, [{"target_field": "organization", "source_path": "Name"}]))
    assert response.status_code == 302
    change = MappingChange.objects.get(mapping_set=ms, object_kind="field mapping")
    assert change.action == "created" and change.user.username == "root"
    assert change.changes["source_path"] == [None, "Name"]
    page = admin_client.get(url).content.decode()
    assert "History" in page and "created field mapping" in page and "Transforms reference" in page


def test_published_versions_are_read_only_and_new_draft_copies_the_tree(admin_client):
    ms = mapping_set_make([{"target_field": "lines", "source_path": "OpportunityLineItems", "children": [
        {"target_field": "name", "source_path": "Name"}]}], name="tree", status="published")
    assert not admin_client.get(reverse("admin:mappings_mappingset_change", args=[ms.pk])).context["has_change_permission"]
    admin_client.post(reverse("admin:mappings_mappingset_draft", args=[ms.pk]))
    draft = MappingSet.objects.get(name="tree", version=2)
    child = draft.field_mappings.get(target_field="name")
    assert draft.status == "draft" and child.parent.mapping_set == draft and child.parent.target_field == "lines"


def test_publish_service_repoints_flows_by_name():
    v1 = account_set(status="published")
    flow = FlowFactory(mapping_set=v1)
    v2 = mapping_set_make(FIELDS, name=v1.name, version=2, source_object="Account", target_object="client")
    mapping_set_publish(mapping_set=v2)
    assert Flow.objects.get(pk=flow.pk).mapping_set == v2


@pytest.mark.parametrize("model", ["mappingset", "valuetable", "currencyrate", "mappingchange", "configimport"])
def test_admin_pages_render(admin_client, model):
    assert admin_client.get(reverse(f"admin:mappings_{model}_changelist")).status_code == 200


def test_value_table_edits_are_recorded(admin_client):
    data = {"name": "gateways", "description": "", "case_insensitive": "on", "default_value": "",
            "draft_entries-TOTAL_FORMS": 1, "draft_entries-INITIAL_FORMS": 0, "draft_entries-MIN_NUM_FORMS": 0, "draft_entries-MAX_NUM_FORMS": 1000,
            "draft_entries-0-source_value": "PayPal", "draft_entries-0-target_value": "PP"}
    assert admin_client.post(reverse("admin:mappings_valuetable_add"), data).status_code == 302
    kinds = set(MappingChange.objects.values_list("object_kind", "action"))
    assert {("value table", "created"), ("draft row", "created")} <= kinds
    entry = MappingChange.objects.get(object_kind="draft row")
    assert entry.changes["target_value"] == [None, "PP"] and entry.user.username == "root"

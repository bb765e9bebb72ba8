"""Value tables change like mapping sets: draft → preview (recent records that would map
differently) → publish, with a version per publication (who, when, the diff)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from mappings.engine import mapping_apply_or_raise
from mappings.errors import MappingError
from mappings.models import MappingChange, ValueTable, ValueTableEntry, ValueTableVersion
from mappings.value_tables import value_table_draft_open, value_table_publish
from tests.factories import FlowFactory, SyncItemFactory
from tests.mappings.builders import mapping_set_make, value_table_draft_data

pytestmark = pytest.mark.django_db

TABLE = "expense-category-to-gl-account"


def _expense_set():
    return mapping_set_make(
        [{"target_field": "organization", "source_path": "category",
          "transforms": [{"name": "lookup", "args": {"table": TABLE}}]}],
        name="expense-to-gl", status="published", source_object="Account", target_object="client")


def _table(**rows):
    table = ValueTable.objects.create(name=TABLE)
    ValueTableEntry.objects.bulk_create([ValueTableEntry(table=table, source_value=k, target_value=v)
                                         for k, v in rows.items()])
    return table


def _draft_row(table, key, value):
    table = value_table_draft_open(table=table)
    table.draft_entries.update_or_create(source_value=key, defaults={"target_value": value})
    return table


def test_the_engine_reads_the_published_rows_only_until_the_draft_is_published(django_user_model):
    ms, table = _expense_set(), _table(Meals="6100")
    hotel = {"category": "Hotel/Lodging/Accommodation"}
    table = _draft_row(table, "Hotel/Lodging/Accommodation", "6200")
    _draft_row(table, "Meals", "6150")
    with pytest.raises(MappingError, match="Hotel/Lodging/Accommodation"):
        mapping_apply_or_raise(ms.name, hotel)
    assert mapping_apply_or_raise(ms.name, {"category": "Meals"}) == {"organization": "6100"}

    value_table_publish(table=table, user=django_user_model.objects.create(username="fin"))
    assert mapping_apply_or_raise(ms.name, hotel) == {"organization": "6200"}
    assert mapping_apply_or_raise(ms.name, {"category": "Meals"}) == {"organization": "6150"}


def test_publish_records_a_version_with_who_when_and_the_diff(django_user_model):
    table = _draft_row(_table(Meals="6100", Taxi="6300"), "Hotel", "6200")
    table.draft_entries.filter(source_value="Taxi").delete()
    user = django_user_model.objects.create(username="fin")
    version = value_table_publish(table=table, user=user, note="hotel added")
    assert (version.version, version.published_by, version.note) == (1, user, "hotel added")
    assert version.published_at is not None
    assert version.changes == {"Hotel": [None, "6200"], "Taxi": ["6300", None]}
    assert version.entries == {"Hotel": "6200", "Meals": "6100"}
    change = MappingChange.objects.get(action="published", object_repr=TABLE)
    assert change.user == user and change.changes == version.changes
    # nothing left to publish: refused, no second version
    with pytest.raises(Exception, match="no draft changes"):
        value_table_publish(table=table, user=user)
    assert ValueTableVersion.objects.count() == 1


def test_preview_lists_the_recent_records_that_would_map_differently(admin_client):
    ms, table = _expense_set(), _table(Meals="6100")
    flow = FlowFactory(mapping_set=ms)
    meals = SyncItemFactory(flow=flow, source_snapshot={"category": "Meals"})
    hotel = SyncItemFactory(flow=flow, source_snapshot={"category": "Hotel"})
    unchanged = SyncItemFactory(flow=flow, source_snapshot={"category": "meals"})
    _draft_row(table, "Hotel", "6200")
    page = admin_client.get(reverse("admin:mappings_valuetable_publish", args=[table.pk])).content.decode()
    assert f"Sync item #{hotel.pk}" in page and "6200" in page
    assert f"Sync item #{meals.pk}" not in page and f"Sync item #{unchanged.pk}" not in page
    assert "3 recent source records" in page
    assert ValueTableVersion.objects.count() == 0  # a preview publishes nothing


def test_preview_covers_the_flows_that_read_the_table_in_a_step(admin_client):
    """Flow 1's FreshBooks client → Account maps the primary Contact in a step of its own, with its own set:
    a table that set reads is previewed on that flow's recent clients too."""
    account_set = mapping_set_make([{"target_field": "Name", "source_path": "organization"}],
                                   name="freshbooks-client-to-salesforce-account", status="published")
    mapping_set_make([{"target_field": "Title", "source_path": "job_title",
                       "transforms": [{"name": "lookup", "args": {"table": TABLE, "on_missing": "keep"}}]}],
                     name="freshbooks-client-to-salesforce-contact", status="published")
    table = _table(CFO="Chief Financial Officer")
    flow = FlowFactory(kind="freshbooks-client-to-salesforce-account", mapping_set=account_set,
                       source_object="client", target_object="Account")
    client_item = SyncItemFactory(flow=flow, source_object="client",
                                  source_snapshot={"organization": "Initrode", "job_title": "AP"})
    _draft_row(table, "AP", "Accounts Payable")
    page = admin_client.get(reverse("admin:mappings_valuetable_publish", args=[table.pk])).content.decode()
    assert f"Sync item #{client_item.pk}" in page and "Accounts Payable" in page


def test_the_admin_edits_the_draft_and_publishes_it(client, django_user_model):
    from integrations.permissions import FINANCE_GROUP
    from django.contrib.auth.models import Group

    table = _table(Meals="6100")
    finance = django_user_model.objects.create(username="fin", is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE_GROUP))
    client.force_login(finance)
    url = reverse("admin:mappings_valuetable_change", args=[table.pk])
    page = client.get(url + "?add_key=Hotel%2FLodging").content.decode()
    assert 'value="Hotel/Lodging"' in page  # the new draft row, prefilled
    data = value_table_draft_data(table, {"Meals": "6100", "Hotel/Lodging": "6200"})
    assert client.post(url, data).status_code == 302
    assert list(table.entries.values_list("source_value", flat=True)) == ["Meals"]  # not live yet
    assert client.post(reverse("admin:mappings_valuetable_publish", args=[table.pk])).status_code == 302
    assert dict(table.entries.values_list("source_value", "target_value")) == {"Meals": "6100", "Hotel/Lodging": "6200"}
    assert table.versions.get().published_by == finance
    page = client.get(url + "?add_key=Hotel%2FLodging").content.decode()
    assert page.count('value="Hotel/Lodging"') == 1  # the existing draft row; no second one offered


def test_finance_discards_a_draft_and_the_published_rows_stay(client, django_user_model):
    from integrations.permissions import FINANCE_GROUP
    from django.contrib.auth.models import Group

    ms, table = _expense_set(), _table(Meals="6100")
    finance = django_user_model.objects.create(username="fin", is_staff=True)
    finance.groups.add(Group.objects.get(name=FINANCE_GROUP))
    client.force_login(finance)
    url = reverse("admin:mappings_valuetable_change", args=[table.pk])
    assert 'id="discard-draft"' not in client.get(url).content.decode()  # nothing to discard yet
    assert client.post(url, value_table_draft_data(table, {"Meals": "9999", "Taxi": "6300"})).status_code == 302
    assert 'id="discard-draft"' in client.get(url).content.decode()

    discard = reverse("admin:mappings_valuetable_discard", args=[table.pk])
    assert client.get(discard).status_code == 405  # a change: POST only
    assert client.post(discard).status_code == 302
    table.refresh_from_db()
    assert table.draft_started_at is None and not table.draft_entries.exists()
    assert dict(table.entries.values_list("source_value", "target_value")) == {"Meals": "6100"}
    assert mapping_apply_or_raise(ms.name, {"category": "Meals"}) == {"organization": "6100"}
    change = MappingChange.objects.get(action="deleted", object_repr=TABLE)
    assert change.user == finance and change.changes == {"Meals": ["6100", "9999"], "Taxi": [None, "6300"]}
    assert "never published" in change.note
    assert ValueTableVersion.objects.count() == 0
    client.get(url)  # viewing opens a fresh draft from the published rows: nothing to discard
    assert "no draft changes to discard" in client.post(discard, follow=True).content.decode()


def test_the_add_page_prefills_the_key_too(admin_client):
    page = admin_client.get(reverse("admin:mappings_valuetable_add") + "?add_key=PayPal").content.decode()
    assert 'name="draft_entries-0-source_value" value="PayPal"' in page


def test_import_config_publishes_what_it_imports_and_drops_an_open_draft():
    from mappings.promotion import FORMAT, FORMAT_VERSION, config_import

    table = _draft_row(_table(Meals="6100"), "Hotel", "6200")
    data = {"format": FORMAT, "format_version": FORMAT_VERSION, "value_tables": [
        {"name": TABLE, "description": "", "case_insensitive": True, "default_value": None,
         "entries": {"Meals": "6110", "Taxi": "6300"}}]}
    config_import(data=data, dry_run=False, source_name="prod.json")
    table.refresh_from_db()
    assert dict(table.entries.values_list("source_value", "target_value")) == {"Meals": "6110", "Taxi": "6300"}
    assert table.draft_started_at is None  # the next edit starts from the imported rows
    assert value_table_draft_open(table=table).draft_entries.count() == 2
    assert table.versions.get().changes == {"Meals": ["6100", "6110"], "Taxi": [None, "6300"]}

"""Finance staff fix value tables through a draft and publish them (mappings.publish_valuetable,
their group's); they cannot change connections, flows or mapping sets, start a backfill or
resubmit a raw task (the last two also in test_staff_permissions.py and test_backfill_confirmation.py)."""
from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from integrations.models import Connection, Flow
from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from mappings.models import MappingSet, ValueTable, ValueTableEntry
from tests.factories import ConnectionFactory, FlowFactory
from tests.integrations.staff_dataset import staff_user
from tests.mappings.builders import mapping_set_make, value_table_draft_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client, django_user_model):
    client.force_login(staff_user(django_user_model, FINANCE_GROUP))
    return client


def test_the_groups_hold_the_named_permission(django_user_model):
    assert staff_user(django_user_model, FINANCE_GROUP).has_perm("mappings.publish_valuetable")
    assert staff_user(django_user_model, ADMIN_GROUP).has_perm("mappings.publish_valuetable")


def test_finance_edits_a_draft_and_publishes_it(finance):
    table = ValueTable.objects.create(name="gateway-to-method")
    ValueTableEntry.objects.create(table=table, source_value="PayPal", target_value="PP")
    url = reverse("admin:mappings_valuetable_change", args=[table.pk])
    assert finance.get(url).status_code == 200
    data = value_table_draft_data(table, {"PayPal": "PAYPAL", "Stripe": "ST"})
    assert finance.post(url, data).status_code == 302
    assert dict(table.entries.values_list("source_value", "target_value")) == {"PayPal": "PP"}
    publish = reverse("admin:mappings_valuetable_publish", args=[table.pk])
    assert "PAYPAL" in finance.get(publish).content.decode()
    assert finance.post(publish).status_code == 302
    assert dict(table.entries.values_list("source_value", "target_value")) == {"PayPal": "PAYPAL", "Stripe": "ST"}
    assert table.versions.get().published_by.username == "staff-finance"
    # a new table and deleting one stay the integration admin's
    assert finance.get(reverse("admin:mappings_valuetable_add")).status_code == 403
    assert finance.post(reverse("admin:mappings_valuetable_delete", args=[table.pk]), {"post": "yes"}).status_code == 403


def test_finance_cannot_change_a_connection_a_flow_or_a_mapping_set(finance):
    connection = ConnectionFactory(system="freshbooks", name="fb")
    flow = FlowFactory(name="a-flow", source_connection=connection)
    ms = mapping_set_make([{"target_field": "organization", "source_path": "Name"}], name="acct")
    posts = [
        reverse("admin:integrations_connection_change", args=[connection.pk]),
        reverse("admin:integrations_flow_change", args=[flow.pk]),
        reverse("admin:mappings_mappingset_change", args=[ms.pk]),
        reverse("admin:mappings_mappingset_publish", args=[ms.pk]),
        reverse("admin:mappings_mappingset_draft", args=[ms.pk]),
    ]
    for url in posts:
        assert finance.post(url, {"name": "renamed", "title": "renamed", "notes": "changed"}).status_code == 403, url
    assert Connection.objects.get(pk=connection.pk).name == "fb"
    assert Flow.objects.get(pk=flow.pk).name == "a-flow"
    assert list(MappingSet.objects.values_list("name", "version", "status")) == [("acct", 1, "draft")]


def test_finance_cannot_start_a_backfill_or_resubmit_a_task(finance):
    from django_q.models import Success

    flow = FlowFactory()
    finance.post(reverse("admin:integrations_flow_changelist"),
                 {"action": "backfill", ACTION_CHECKBOX_NAME: [flow.pk], "post": "yes"})
    task = Success.objects.create(id="a" * 32, name="t", func="math.floor", args=(1.5,), started=timezone.now(),
                                  stopped=timezone.now(), success=True)
    finance.post(reverse("admin:django_q_success_changelist"), {"action": "resubmit_task", ACTION_CHECKBOX_NAME: [task.pk]})
    assert OrmQ.objects.count() == 0

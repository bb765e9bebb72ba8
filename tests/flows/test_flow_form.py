"""The admin's Flow form and actions for a flow whose kind is not (or no longer) registered:
a clear admin error, never an HTTP 500; and the typed settings as form fields."""
from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import ERROR, get_messages
from django.urls import reverse

from integrations.models import Flow
from tests.factories import FlowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bad_kind_flow():
    flow = FlowFactory(kind="recording")
    Flow.objects.filter(pk=flow.pk).update(kind="teleport")  # a row edited in the database
    return flow


def test_poll_now_on_a_flow_of_an_unknown_kind_is_an_admin_error_not_a_500(admin_client, bad_kind_flow):
    response = admin_client.post(reverse("admin:integrations_flow_changelist"),
                                 {"action": "poll_now", ACTION_CHECKBOX_NAME: [bad_kind_flow.pk]})
    assert response.status_code == 302
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level == ERROR]
    assert len(errors) == 1 and errors[0].startswith(
        f"{bad_kind_flow}: poll failed: No flow handler is registered for kind 'teleport'. Known kinds: ")
    assert "unexpected" not in errors[0]  # the admin's own sentence, not a caught crash


def test_the_pages_of_a_flow_of_an_unknown_kind_render(admin_client, bad_kind_flow):
    assert admin_client.get(reverse("admin:integrations_flow_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:integrations_flow_change", args=[bad_kind_flow.pk]))
    assert page.status_code == 200


# -- the typed form -----------------------------------------------------------------------------
EXPENSE = "freshbooks-expense-to-infor-journal"


def test_every_registered_kind_names_the_objects_it_works_on():
    from integrations.flows.registry import FLOW_KIND_OBJECTS, FLOW_KINDS, GENERIC_KINDS

    assert set(FLOW_KINDS) - GENERIC_KINDS == set(FLOW_KIND_OBJECTS)


@pytest.fixture
def expense_post(admin_client):
    from tests.factories import ConnectionFactory

    source, target = ConnectionFactory(system="freshbooks"), ConnectionFactory(system="infor")

    def post(**changes):
        data = {"name": "expenses-to-gl", "title": "", "kind": EXPENSE, "source_connection": source.pk,
                "source_object": "expense", "target_connection": target.pk, "target_object": "journal",
                "trigger": "webhook", "poll_interval_minutes": 0, "conflict_policy": "field_owner",
                "max_attempts": "", **changes}
        return admin_client.post(reverse("admin:integrations_flow_add"), data)

    return post


def test_the_kinds_settings_are_fields_with_help_and_their_values_are_typed(admin_client, expense_post):
    page = admin_client.get(reverse("admin:integrations_flow_add") + f"?kind={EXPENSE}").content.decode()
    assert 'name="setting__offset_account"' in page and "GL account credited (bank or payables)." in page
    assert '<option value="false">No</option>' in page  # amount_includes_tax: default / yes / no
    assert f"{EXPENSE} (expense → journal)" in page  # the kind with its objects
    assert expense_post(setting__offset_account="2100", setting__amount_includes_tax="false").status_code == 302
    flow = Flow.objects.get(name="expenses-to-gl")
    assert flow.settings == {"offset_account": "2100", "amount_includes_tax": False}  # blank ones: the defaults
    page = admin_client.get(reverse("admin:integrations_flow_change", args=[flow.pk])).content.decode()
    assert 'name="setting__offset_account" value="2100"' in page


def test_a_bad_setting_value_is_refused_with_the_validators_sentence(expense_post):
    response = expense_post(setting__reconcile="{not json")
    assert response.status_code == 200 and not Flow.objects.exists()
    assert ("Flow setting reconcile is not valid JSON. Flow setting reconcile is &#x27;{not json&#x27;; it must be "
            "an object ({…})." in response.content.decode())


def test_objects_the_kind_does_not_support_are_refused(expense_post):
    response = expense_post(source_object="invoice")
    assert response.status_code == 200 and not Flow.objects.exists()
    assert f"A flow of kind &#x27;{EXPENSE}&#x27; reads expense, not &#x27;invoice&#x27;." in response.content.decode()


def test_the_mapping_set_is_a_published_one_suitable_for_the_kind(admin_client, expense_post):
    from tests.mappings.builders import mapping_set_make

    fit = mapping_set_make([], name="expense-gl", status="published", source_system="freshbooks",
                           source_object="expense", target_system="infor", target_object="GLS840MI")
    draft = mapping_set_make([], name="expense-gl", version=2, source_system="freshbooks",
                             source_object="expense", target_system="infor", target_object="GLS840MI")
    other = mapping_set_make([], name="opp-invoice", status="published")  # salesforce → freshbooks
    page = admin_client.get(reverse("admin:integrations_flow_add") + f"?kind={EXPENSE}").content.decode()
    offered = page.split('name="mapping_set"')[1].split("</select>")[0]
    assert f'<option value="{fit.pk}">expense-gl v1 (freshbooks expense → infor GLS840MI)' in offered
    assert f'<option value="{draft.pk}">' not in offered and f'<option value="{other.pk}">' not in offered
    response = expense_post(mapping_set=other.pk)
    assert response.status_code == 200 and not Flow.objects.exists()
    assert expense_post(mapping_set=fit.pk).status_code == 302


def test_an_unknown_kind_never_saves(expense_post):
    response = expense_post(kind="teleport")
    assert response.status_code == 200 and not Flow.objects.exists()
    assert "Unknown flow kind &#x27;teleport&#x27;" in response.content.decode()

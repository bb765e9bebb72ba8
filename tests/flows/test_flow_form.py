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

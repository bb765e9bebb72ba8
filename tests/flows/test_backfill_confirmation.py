"""A backfill starts from the admin only after a confirmation page showing each flow's dry-run
count (read from the simulators over real HTTP, nothing written); Finance staff cannot start one."""
from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse
from django_q.models import OrmQ

from integrations.models import Flow, SyncItem
from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)
TO_SF = "fb-client-to-sf-account"


def _staff(django_user_model, group):
    user = django_user_model.objects.create(username=group.replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def _post(client, flow, **extra):
    return client.post(reverse("admin:integrations_flow_changelist"),
                       {"action": "backfill", ACTION_CHECKBOX_NAME: [flow.pk], **extra})


def test_the_confirmation_shows_the_dry_run_count_and_only_yes_queues_it(world, client, django_user_model):
    for n in range(4):
        world.fb_create("client", {"organization": f"Confirm {n} Ltd", "email": f"ap{n}@confirm{n}.test"})
    flow = Flow.objects.get(name=TO_SF)
    client.force_login(_staff(django_user_model, ADMIN_GROUP))
    writes_before = ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).count()

    page = _post(client, flow)

    assert page.status_code == 200
    body = page.content.decode()
    assert "<td><strong>4</strong></td>" in body and "4 would be created" in body
    assert OrmQ.objects.count() == 0 and not SyncItem.objects.exists()  # a dry run: nothing queued or written
    assert ApiCall.objects.filter(method__in=["POST", "PUT", "PATCH", "DELETE"]).count() == writes_before

    assert _post(client, flow, post="yes").status_code == 302
    assert OrmQ.objects.count() == 1


def test_finance_staff_cannot_start_a_backfill_nor_see_its_dry_run(world, client, django_user_model):
    world.fb_create("client", {"organization": "Finance Try Ltd", "email": "ap@try.test"})
    flow = Flow.objects.get(name=TO_SF)
    client.force_login(_staff(django_user_model, FINANCE_GROUP))
    calls = ApiCall.objects.count()
    for extra in ({}, {"post": "yes"}):
        response = _post(client, flow, **extra)
        assert "would be" not in response.content.decode()
    assert OrmQ.objects.count() == 0 and ApiCall.objects.count() == calls


def test_a_flow_that_cannot_be_backfilled_says_why_and_offers_no_start(client, django_user_model):
    from tests.factories import FlowFactory

    flow = FlowFactory()
    Flow.objects.filter(pk=flow.pk).update(kind="teleport")
    client.force_login(_staff(django_user_model, ADMIN_GROUP))
    body = _post(client, flow).content.decode()
    assert "Cannot be backfilled: No flow handler is registered for kind &#x27;teleport&#x27;" in body
    assert "Yes, start" not in body and OrmQ.objects.count() == 0

"""Admin pages render for both staff groups; secrets never reach HTML or logs."""
import logging

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from integrations.models import Binding, Connection, SyncItem
from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from tests.factories import BindingFactory, ConnectionFactory, FlowFactory, InboundEventFactory, SyncItemFactory

pytestmark = pytest.mark.django_db
CANARY = "canary-5ecret-7f3a9c"


@pytest.fixture
def dataset():
    connection = ConnectionFactory(name="Sandbox FreshBooks")
    connection.set_secrets(client_secret=CANARY, access_token=CANARY + "-at", refresh_token=CANARY + "-rt")
    connection.save()
    flow = FlowFactory(target_connection=connection, settings={"records": {}})
    item = SyncItemFactory(flow=flow, status="dead", last_error="FreshBooks rejected the client: email is invalid")
    return {"connection": connection, "flow": flow, "item": item, "binding": BindingFactory(connection=connection),
            "event": InboundEventFactory(connection=connection)}


def staff(django_user_model, group_name):
    user = django_user_model.objects.create_user(f"u-{group_name[:5]}", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


PAGES = [
    ("integrations", "connection"), ("integrations", "flow"), ("integrations", "binding"),
    ("integrations", "syncitem"), ("integrations", "deadletter"), ("integrations", "inboundevent"),
    ("integrations", "entity"), ("integrations", "cursor"),
    ("monitoring", "syncattempt"), ("monitoring", "apicall"), ("monitoring", "alert"), ("mappings", "mappingset"),
]


@pytest.mark.parametrize("group_name", [FINANCE_GROUP, ADMIN_GROUP])
def test_every_admin_page_renders_for_both_groups_without_secrets(client, django_user_model, dataset, group_name):
    client.force_login(staff(django_user_model, group_name))
    for app, model in PAGES:
        response = client.get(reverse(f"admin:{app}_{model}_changelist"))
        assert response.status_code == 200, (app, model)
        assert CANARY not in response.content.decode()
    for name, obj in [("connection", dataset["connection"]), ("syncitem", dataset["item"]),
                      ("binding", dataset["binding"]), ("inboundevent", dataset["event"])]:
        response = client.get(reverse(f"admin:integrations_{name}_change", args=[obj.pk]))
        assert response.status_code == 200, name
        body = response.content.decode()
        assert CANARY not in body
    connection_page = client.get(reverse("admin:integrations_connection_change", args=[dataset["connection"].pk]))
    assert "client_secret (set)" in connection_page.content.decode()


def test_finance_can_view_and_replay_but_not_edit_connections(client, django_user_model, dataset):
    client.force_login(staff(django_user_model, FINANCE_GROUP))
    url = reverse("admin:integrations_connection_change", args=[dataset["connection"].pk])
    response = client.post(url, {"name": "hijacked", "system": "freshbooks"})
    assert response.status_code == 403
    changelist = client.get(reverse("admin:integrations_syncitem_changelist")).content.decode()
    assert 'value="replay"' in changelist


def test_replay_asks_for_confirmation_then_queues(client, django_user_model, dataset):
    client.force_login(staff(django_user_model, FINANCE_GROUP))
    item = dataset["item"]
    url = reverse("admin:integrations_deadletter_changelist")
    confirm = client.post(url, {"action": "replay", "_selected_action": [item.pk]})
    assert confirm.status_code == 200 and "Replay these items?" in confirm.content.decode()
    item.refresh_from_db()
    assert item.status == "dead"  # nothing happens before confirmation
    done = client.post(url, {"action": "replay", "_selected_action": [item.pk], "post": "yes"})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == "pending" and item.attempts == 0


def test_admin_saves_secrets_write_only(client, admin_user, dataset):
    client.force_login(admin_user)
    connection = dataset["connection"]
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    form = {"name": connection.name, "system": "freshbooks", "environment": "production", "auth_kind": "oauth2_code",
            "settings": "{}", "is_active": "on", "client_secret": "", "webhook_secret": "new-" + CANARY}
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.get_secret("client_secret") == CANARY  # blank kept the old value
    assert connection.get_secret("webhook_secret") == "new-" + CANARY
    assert CANARY not in client.get(url).content.decode()


def test_finance_resync_action_queues_work(client, django_user_model, dataset):
    flow = dataset["flow"]
    binding = BindingFactory(connection=flow.source_connection, object_type=flow.source_object)
    client.force_login(staff(django_user_model, FINANCE_GROUP))
    response = client.post(reverse("admin:integrations_binding_changelist"),
                           {"action": "resync", "_selected_action": [binding.pk]})
    assert response.status_code == 302
    assert SyncItem.objects.filter(flow=flow, source_id=binding.external_id, status="pending").exists()


def test_binding_search_by_any_external_id_of_the_entity(client, admin_user):
    fb = BindingFactory(object_type="client", external_id="FB-77")
    BindingFactory(entity=fb.entity, object_type="Account", external_id="001SF77")
    client.force_login(admin_user)
    body = client.get(reverse("admin:integrations_binding_changelist"), {"q": "001SF77"}).content.decode()
    assert "FB-77" in body


def test_secrets_never_reach_the_logs(caplog, dataset, settings):
    """A full engine run plus redaction of credential-shaped log text."""
    from integrations.sync.items import sync_item_enqueue
    from integrations.sync.engine import sync_item_process

    caplog.set_level(logging.DEBUG)
    flow = FlowFactory(source_connection=dataset["connection"], settings={"records": {"1": {"Name": "A"}},
                       "fail": [{"step": "map", "kind": "crash"}]})
    item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="1", dispatch=False)
    sync_item_process(item_id=item.pk)
    logging.getLogger("requests").warning("GET /x?access_token=%s Authorization: Bearer %s", CANARY, CANARY)
    from config.logfilters import RedactSecretsFilter

    for record in caplog.records:
        RedactSecretsFilter().filter(record)
    assert caplog.records, "expected the crash to be logged"
    assert CANARY not in "\n".join(r.getMessage() for r in caplog.records)
    assert Binding.objects.count() >= 1

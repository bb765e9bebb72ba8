"""One record of every model the admin shows, with a known canary in every field that holds a
secret, and the three kinds of staff user. Shared by the permission table test and the canary
test (tests/integrations/test_staff_permissions.py, test_admin_secrets.py)."""
from __future__ import annotations

import json
import uuid
from datetime import date

from django.contrib.auth.models import Group
from django.utils import timezone

from integrations.admin import SECRET_INPUTS
from integrations.models import Cursor, SyncItem
from integrations.operations.reconcile import CHECK_NAME
from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from tests.factories import BindingFactory, ConnectionFactory, EntityFactory, FlowFactory, InboundEventFactory, SyncItemFactory

CANARY = "canary-5ecret-d41c9e"
# A TOTP device's key is hex (and base32 in an authenticator's otpauth URL): a canary of its own.
TOTP_KEY_HEX = CANARY.encode().hex()[:40]


def canary(name: str) -> str:
    return f"{CANARY}-{name}"


# Every secret a connection can hold: the admin's write-only inputs, the tokens the OAuth flows
# store, FreshBooks' webhook verifiers and an Infor .ionapi file (its keys inside).
CONNECTION_SECRETS = {
    **{name: canary(name) for name in SECRET_INPUTS},
    "access_token": canary("access_token"),
    "refresh_token": canary("refresh_token"),
    "webhook_verifiers": {"9001": canary("verifier")},
    "ionapi": json.dumps({"ti": "TENANT", "ci": "client", "cs": canary("ionapi-cs"), "saak": canary("saak"),
                          "sask": canary("sask")}),
}


def staff_user(django_user_model, group_name: str):
    user = django_user_model.objects.create_user(f"staff-{group_name.split()[0].lower()}", password="pw",
                                                 is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def users(django_user_model) -> dict:
    return {
        "superuser": django_user_model.objects.create_superuser("root", "root@example.com", "pw"),
        FINANCE_GROUP: staff_user(django_user_model, FINANCE_GROUP),
        ADMIN_GROUP: staff_user(django_user_model, ADMIN_GROUP),
    }


def dataset_build(*, owner) -> dict:
    """One of everything; ``owner`` is the user a social-auth association belongs to."""
    from django_q.models import OrmQ, Schedule, Task
    from django_q.tasks import async_task
    from social_django.models import Association, Nonce, UserSocialAuth

    from mappings.models import ConfigImport, CurrencyRate, MappingChange, MappingSet, ValueTable
    from monitoring.models import Alert, AlertRule, ApiCall, Finding, SyncAttempt

    now = timezone.now()
    # Loopback port 9 (discard): a page that calls the system fails at once, and nothing leaves the machine.
    freshbooks = ConnectionFactory(name="Books", system="freshbooks", base_url="http://127.0.0.1:9/")
    salesforce = ConnectionFactory(name="Sales", system="salesforce", base_url="http://127.0.0.1:9/",
                                   auth_url="http://127.0.0.1:9/")
    infor = ConnectionFactory(name="M3", system="infor", base_url="http://127.0.0.1:9/")
    for connection in (freshbooks, salesforce, infor):
        connection.set_secrets(**CONNECTION_SECRETS)
        connection.save()
    flow = FlowFactory(source_connection=salesforce, target_connection=freshbooks, settings={"records": {}})
    binding = BindingFactory(connection=salesforce, object_type="Account", entity=EntityFactory(label="Acme"))
    dead = SyncItemFactory(flow=flow, status=SyncItem.Status.DEAD, last_error="FreshBooks rejected the client.")
    held = SyncItemFactory(flow=flow, status=SyncItem.Status.HELD, result={"conflict": {"fields": [
        {"field": "Name", "base": "A", "source": "B", "target": "C"}]}})
    event = InboundEventFactory(connection=freshbooks)
    Cursor.objects.create(connection=salesforce, flow=flow, stream="Account", value="2026-01-01T00:00:00Z")
    SyncAttempt.objects.create(sync_item=dead, number=1, started_at=now, outcome="dead", message="rejected")
    ApiCall.objects.create(connection=freshbooks, system="freshbooks", operation="clients.create", method="POST",
                           path="/accounting/account/x/users/clients", status_code=422)
    rule = AlertRule.objects.create(name="dead letters", kind=AlertRule.Kind.choices[0][0], email_to="ops@example.com")
    rule.webhook_url = "https://hooks.example.com/services/" + canary("chat-webhook")
    rule.save()
    Alert.objects.create(kind=rule.kind, rule=rule, key="flow:1", title="Dead letters on flow 1")
    Finding.objects.create(check_name=CHECK_NAME, fingerprint="fp-1", title="Amount differs", flow=flow,
                           first_seen_at=now, last_seen_at=now,
                           records=[{"label": "Source", "binding_id": binding.pk}])
    mapping_set = MappingSet.objects.create(name="account-to-client", source_system="salesforce",
                                            source_object="Account", target_system="freshbooks", target_object="client")
    ValueTable.objects.create(name="gateway-to-method")
    CurrencyRate.objects.create(date=date(2026, 1, 1), from_currency="EUR", to_currency="USD", rate="1.1")
    MappingChange.objects.create(object_kind="mapping set", object_repr="account-to-client", action="created",
                                 mapping_set=mapping_set)
    ConfigImport.objects.create(source_name="qa.json", checksum="0" * 64, format_version=1)
    Schedule.objects.create(name="poll", func="integrations.tasks.flows_poll", schedule_type=Schedule.MINUTES, minutes=5)
    for success in (True, False):
        Task.objects.create(id=uuid.uuid4().hex, name=f"task-{success}", func="math.floor", args=(1,), kwargs={},
                            started=now, stopped=now, success=success, result=1 if success else "boom")
    async_task("math.floor", 1)  # an OrmQ row: the ORM broker's queue
    assert OrmQ.objects.exists()
    UserSocialAuth.objects.create(user=owner, provider="freshbooks", uid="fb-1",
                                  extra_data={"access_token": canary("social-access"),
                                              "refresh_token": canary("social-refresh")})
    Nonce.objects.create(server_url="https://id.example.com", timestamp=1, salt="salt")
    Association.objects.create(server_url="https://id.example.com", handle="handle-1",
                               secret=canary("assoc-secret"), issued=1, lifetime=60, assoc_type="HMAC-SHA1")
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # On a user of its own: a device on a signed-in user would send that user to the code page first.
    phone_owner = type(owner).objects.create_user("phone-owner", password="pw")
    TOTPDevice.objects.create(user=phone_owner, name="phone", key=TOTP_KEY_HEX, confirmed=True)
    AccessAttempt.objects.create(username="mallory", ip_address="203.0.113.9", user_agent="curl", failures_since_start=3,
                                 get_data="", post_data="", http_accept="*/*", path_info="/admin/login/")
    AccessLog.objects.create(username="staff", ip_address="203.0.113.10", user_agent="firefox", http_accept="*/*",
                             path_info="/admin/login/")
    AccessFailureLog.objects.create(username="mallory", ip_address="203.0.113.9", user_agent="curl", http_accept="*/*",
                                    path_info="/admin/login/", locked_out=False)
    return {"owner": owner, "freshbooks": freshbooks, "salesforce": salesforce, "infor": infor, "flow": flow, "binding": binding,
            "dead": dead, "held": held, "event": event, "rule": rule, "mapping_set": mapping_set}

"""Who may do what: every admin action of every registered ModelAdmin and every staff page found
by the URL resolver, as Finance staff and as an Integration admin, against one table.

A new action or a new page fails here until it is given a row: nothing is forgotten. Finance
staff may look at everything, replay, resync and decide findings (PRODUCT.md); the Integration
admin may do everything in Ledgerlink's apps and django-q2's. "Refused" is a 403 (404 where
Django answers so for everyone), or an action that is not offered and does nothing when posted.
"""
from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import SUCCESS, get_messages
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_q.models import OrmQ

from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from monitoring.models import ApiCall
from tests.integrations.staff_dataset import dataset_build, users

pytestmark = pytest.mark.django_db
GROUPS = [FINANCE_GROUP, ADMIN_GROUP]

# --- Admin actions ----------------------------------------------------------------------------
# (app_label, model_name, action name): (Finance staff may, Integration admin may)
ACTIONS = {
    ("auth", "group", "delete_selected"): (False, False),
    ("auth", "user", "delete_selected"): (False, False),
    ("django_q", "schedule", "delete_selected"): (False, True),
    ("django_q", "ormq", "delete_selected"): (False, True),
    ("django_q", "success", "delete_selected"): (False, True),
    ("django_q", "success", "resubmit_task"): (False, True),
    ("django_q", "failure", "delete_selected"): (False, True),
    ("django_q", "failure", "resubmit_task"): (False, True),
    ("social_django", "nonce", "delete_selected"): (False, True),
    ("social_django", "usersocialauth", "delete_selected"): (False, True),
    ("social_django", "association", "delete_selected"): (False, True),
    ("monitoring", "syncattempt", "delete_selected"): (False, True),
    ("monitoring", "apicall", "delete_selected"): (False, True),
    ("monitoring", "alertrule", "delete_selected"): (False, True),
    ("monitoring", "alert", "delete_selected"): (False, True),
    ("monitoring", "finding", "delete_selected"): (False, True),
    ("monitoring", "finding", "confirm"): (True, True),
    ("monitoring", "finding", "dismiss"): (True, True),
    ("monitoring", "finding", "reopen"): (True, True),
    ("mappings", "mappingset", "delete_selected"): (False, True),
    ("mappings", "valuetable", "delete_selected"): (False, True),
    ("mappings", "currencyrate", "delete_selected"): (False, True),
    ("integrations", "connection", "delete_selected"): (False, True),
    ("integrations", "connection", "test_connection"): (False, True),
    ("integrations", "connection", "check_connections"): (False, True),
    ("integrations", "connection", "prepare"): (False, True),
    ("integrations", "connection", "describe_objects"): (False, True),
    ("integrations", "connection", "register_shop_webhooks"): (False, True),
    ("integrations", "flow", "delete_selected"): (False, True),
    ("integrations", "flow", "poll_now"): (False, True),
    ("integrations", "flow", "replay_dead"): (True, True),
    ("integrations", "flow", "backfill"): (False, True),
    ("integrations", "flow", "check_flows"): (False, True),
    ("integrations", "flow", "enable_flows"): (False, True),
    ("integrations", "entity", "delete_selected"): (False, True),
    ("integrations", "binding", "delete_selected"): (False, True),
    ("integrations", "binding", "resync"): (True, True),
    ("integrations", "syncitem", "delete_selected"): (False, True),
    ("integrations", "syncitem", "replay"): (True, True),
    ("integrations", "deadletter", "delete_selected"): (False, True),
    ("integrations", "deadletter", "replay"): (True, True),
    ("integrations", "inboundevent", "delete_selected"): (False, True),
    ("integrations", "cursor", "delete_selected"): (False, True),
    # Sign-in lockouts and other users' two-factor devices are a superuser's business (README "Security").
    ("axes", "accessattempt", "delete_selected"): (False, False),
    ("axes", "accessattempt", "cleanup_expired_attempts"): (False, False),
    ("axes", "accesslog", "delete_selected"): (False, False),
    ("axes", "accessfailurelog", "delete_selected"): (False, False),
    ("otp_totp", "totpdevice", "delete_selected"): (False, False),
}


@pytest.fixture
def staff(django_user_model):
    people = users(django_user_model)
    return {**people, "data": dataset_build(owner=people["superuser"])}


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _actions(model_admin, user) -> set[str]:
    return set(model_admin.get_actions(_request(user)))


def test_every_admin_action_is_in_the_table(staff):
    offered = {(model._meta.app_label, model._meta.model_name, name)
               for model, model_admin in admin.site._registry.items()
               for name in _actions(model_admin, staff["superuser"])}
    assert offered - ACTIONS.keys() == set(), "new admin actions: give each a row in ACTIONS"
    assert ACTIONS.keys() - offered == set(), "rows for actions that no longer exist"


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_is_offered_exactly_its_actions(staff, group):
    wrong = []
    for model, model_admin in admin.site._registry.items():
        offered = _actions(model_admin, staff[group])
        for name in _actions(model_admin, staff["superuser"]):
            may = ACTIONS[(model._meta.app_label, model._meta.model_name, name)][GROUPS.index(group)]
            if (name in offered) != may:
                wrong.append(f"{model._meta.label}.{name}: {'offered' if name in offered else 'not offered'}")
    assert wrong == []


def test_refused_actions_do_nothing_when_posted_anyway(client, staff):
    """Finance posts each action it is not offered, as a crafted request would: nothing runs."""
    client.force_login(staff[FINANCE_GROUP])
    tried = 0
    for model, model_admin in admin.site._registry.items():
        label = (model._meta.app_label, model._meta.model_name)
        selected = model_admin.get_queryset(_request(staff["superuser"])).first()
        for name in _actions(model_admin, staff["superuser"]):
            if ACTIONS[(*label, name)][0] or selected is None:
                continue
            tasks_before, calls_before = OrmQ.objects.count(), ApiCall.objects.count()
            url = reverse(f"admin:{label[0]}_{label[1]}_changelist")
            response = client.post(url, {"action": name, ACTION_CHECKBOX_NAME: [selected.pk], "post": "yes"})
            tried += 1
            assert response.status_code in (302, 403) or (
                response.status_code == 200 and "Are you sure" not in response.content.decode()), (label, name)
            assert not [m for m in get_messages(response.wsgi_request) if m.level == SUCCESS], (label, name)
            assert model_admin.get_queryset(_request(staff["superuser"])).filter(pk=selected.pk).exists(), (label, name)
            assert (OrmQ.objects.count(), ApiCall.objects.count()) == (tasks_before, calls_before), (label, name)
    assert tried >= 10


# --- Staff pages ------------------------------------------------------------------------------
ALLOW, REFUSE = True, False
# Pages that are not staff pages: the public URL contract (PRODUCT.md) and the simulators.
PUBLIC_PREFIXES = ("api/webhooks/", "api/schema/", "sandbox/", "healthz", "readyz", "metrics")
# Every named page outside the ModelAdmins' own five: url name → (method, Finance staff, Integration admin).
PAGES = {
    "admin:index": ("GET", ALLOW, ALLOW),
    "admin:login": ("GET", ALLOW, ALLOW),
    "admin:logout": ("POST", ALLOW, ALLOW),
    "admin:password_change": ("GET", ALLOW, ALLOW),
    "admin:password_change_done": ("GET", ALLOW, ALLOW),
    "admin:jsi18n": ("GET", ALLOW, ALLOW),
    "admin:autocomplete": ("GET", REFUSE, REFUSE),  # no admin declares autocomplete fields
    "admin:view_on_site": ("GET", REFUSE, REFUSE),  # no model has a public page
    "admin:app_list": ("GET", None, None),  # per app: see GROUP_MAY
    "admin:search": ("GET", ALLOW, ALLOW),  # django-unfold's filter of the navigation (what the user may open)
    "admin:auth_user_password_change": ("GET", REFUSE, REFUSE),
    "admin:integrations_conflict_resolve": ("GET", ALLOW, ALLOW),
    # Needs attention (the error console): looking needs view; each button its own permission (ITEM_ACTIONS).
    "admin:needs_attention": ("GET", ALLOW, ALLOW),
    "admin:needs_attention_item": ("GET", ALLOW, ALLOW),
    "admin:needs_attention_bulk": ("POST", ALLOW, ALLOW),
    "admin:needs_attention_cause": ("GET", ALLOW, ALLOW),
    # The operations API takes a token, never a staff session (401 here); who may use it with a
    # token: tests/integrations/test_operations_api.py (Integration admin only: operate_api_syncitem).
    "operations-api:items": ("GET", REFUSE, REFUSE),
    "operations-api:item": ("GET", REFUSE, REFUSE),
    "operations-api:item-replay": ("POST", REFUSE, REFUSE),
    "operations-api:item-resolve": ("POST", REFUSE, REFUSE),
    "operations-api:causes": ("GET", REFUSE, REFUSE),
    "operations-api:timeline": ("GET", REFUSE, REFUSE),
    "admin:mappings_mappingset_preview": ("GET", ALLOW, ALLOW),
    "admin:mappings_mappingset_suggestions": ("GET", ALLOW, ALLOW),
    "admin:mappings_mappingset_canvas": ("GET", ALLOW, ALLOW),  # the mapping canvas: finance may look
    "admin:mappings_mappingset_canvas_data": ("GET", ALLOW, ALLOW),
    "admin:mappings_mappingset_canvas_preview": ("GET", ALLOW, ALLOW),
    "admin:mappings_mappingset_canvas_link": ("POST", REFUSE, ALLOW),  # changing a link: change_mappingset
    "admin:mappings_mappingset_canvas_unlink": ("POST", REFUSE, ALLOW),
    "admin:mappings_mappingset_publish": ("GET", REFUSE, ALLOW),
    "admin:mappings_mappingset_draft": ("POST", REFUSE, ALLOW),
    "admin:mappings_currencyrate_load_ecb": ("POST", REFUSE, ALLOW),  # the empty rates list's "Load ECB rates now"
    "admin:monitoring_alertrule_defaults": ("POST", REFUSE, ALLOW),  # the empty alert-rule list's "Create the default rules"
    # A value table's draft: its preview and publishing are finance's too (mappings.publish_valuetable).
    "admin:mappings_valuetable_publish": ("GET", ALLOW, ALLOW),
    "admin:mappings_valuetable_discard": ("POST", ALLOW, ALLOW),  # throwing a draft away: who may edit it
    "integrations:freshbooks-connect": ("GET", REFUSE, ALLOW),
    "integrations:salesforce-connect": ("GET", REFUSE, ALLOW),
    "integrations:salesforce-test": ("GET", REFUSE, ALLOW),
    "integrations:salesforce-prepare": ("GET", REFUSE, ALLOW),
    "integrations:records_search": ("GET", ALLOW, ALLOW),
    "integrations:timeline": ("GET", ALLOW, ALLOW),
    "integrations:timeline_entity": ("GET", ALLOW, ALLOW),
    "integrations:reconcile": ("GET", ALLOW, ALLOW),
    "integrations:reconcile_run": ("POST", REFUSE, ALLOW),
    "integrations:connection_describe": ("GET", REFUSE, ALLOW),  # reads objects from the system: the admin's
    "integrations:binding_resync": ("POST", ALLOW, ALLOW),
    "monitoring:dashboard": ("GET", ALLOW, ALLOW),
    # Two-factor sign-in: each staff user enrols and verifies their own device.
    "security:otp_verify": ("GET", ALLOW, ALLOW),
    "security:otp_enrol": ("GET", ALLOW, ALLOW),
    # django-otp's device key pages: off for everyone (OTP_ADMIN_HIDE_SENSITIVE_DATA; the key is a secret).
    "admin:otp_totp_totpdevice_config": ("GET", REFUSE, REFUSE),
    "admin:otp_totp_totpdevice_qrcode": ("GET", REFUSE, REFUSE),
    # social-auth: only the "Connect" backends are configured; each step needs connect_connection.
    "social:begin": ("POST", REFUSE, ALLOW),
    "social:complete": ("GET", REFUSE, ALLOW),
    "social:disconnect": ("POST", REFUSE, ALLOW),
    "social:disconnect_individual": ("POST", REFUSE, ALLOW),
    "social:idp_launch": ("GET", REFUSE, REFUSE),  # the launch bridge is off
    "social:app_launch": ("GET", REFUSE, REFUSE),
}
# The standard pages of each ModelAdmin, and the permission each needs.
MODEL_PAGES = {"changelist": "view", "add": "add", "history": "view", "change": "view", "delete": "delete"}
# What each group may do to the records of each app on those pages.
GROUP_MAY = {
    FINANCE_GROUP: {"integrations": {"view"}, "monitoring": {"view"}, "mappings": {"view"}, "django_q": {"view"}},
    ADMIN_GROUP: {app: {"view", "add", "change", "delete"}
                  for app in ("integrations", "monitoring", "mappings", "django_q", "social_django")},
}


def _named_urls(patterns=None, prefix="", namespace=""):
    """(route, full name) of every URL pattern; unnamed ones with name None."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_urls(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else None


def _model_page_names() -> dict[str, tuple]:
    return {f"admin:{m._meta.app_label}_{m._meta.model_name}_{page}": (m, ma, page)
            for m, ma in admin.site._registry.items() for page in MODEL_PAGES}


def test_every_staff_url_is_in_the_table():
    model_pages, unlisted = _model_page_names(), []
    for route, name in _named_urls():
        if route.startswith(PUBLIC_PREFIXES):
            continue
        if name is None:
            # Django admin's own unnamed routes: the catch-all 404 and "<pk>/" → "<pk>/change/".
            if route.startswith("admin/") and (route.endswith("<path:object_id>/") or "(?P<url>.*)" in route):
                continue
            unlisted.append(route)
        elif name not in PAGES and name not in model_pages:
            unlisted.append(name)
    assert unlisted == [], "new staff pages: give each a row in PAGES"


def _url_args(name: str, data: dict, social_backend: str) -> dict:
    """The URL's parameters, from the dataset: each parameter name says what it takes."""
    if name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        return {"content_type_id": ContentType.objects.get_for_model(data["flow"]).pk, "object_id": data["flow"].pk}
    values = {"item_id": data["held"].pk, "binding_id": data["binding"].pk, "entity_id": data["binding"].entity_id,
              "flow_id": data["flow"].pk, "backend": social_backend, "association_id": 1,
              "connection_id": data["freshbooks"].pk, "app_label": "integrations", "id": data["owner"].pk,
              "pk": data["salesforce"].pk if name.startswith("integrations:salesforce-") else data["mapping_set"].pk}
    if name.startswith("admin:mappings_valuetable_"):
        from mappings.models import ValueTable

        values["pk"] = ValueTable.objects.first().pk
    params = re.findall(r"<(?:\w+:)?(\w+)>", _route(name))
    return {key: values[key] for key in params}


def _route(name: str) -> str:
    return next(route for route, n in _named_urls() if n == name)


def _fetch(client, user, method: str, url: str, data: dict | None = None):
    client.force_login(user)  # each request with a fresh login: the logout page ends a session
    if data is not None:  # as if the "Connect" page had been opened: the social-auth steps read these
        session = client.session
        session.update({"freshbooks_connection_id": data["freshbooks"].pk, "salesforce_connection_id": data["salesforce"].pk})
        session.save()
    response = getattr(client, method.lower())(url)
    return response.status_code


def _refused(status: int) -> bool:
    return status in (401, 403, 404)


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_reaches_exactly_its_pages(client, staff, group):
    user, data, wrong = staff[group], staff["data"], []
    for name, (method, *may) in PAGES.items():
        if name == "admin:app_list":
            continue
        backends = ("freshbooks", "salesforce-simulator-connect") if name.startswith("social:") else ("",)
        for backend in backends:
            url = reverse(name, kwargs=_url_args(name, data, backend))
            status = _fetch(client, user, method, url, data)
            assert status < 500, (name, url, status)
            if _refused(status) == may[GROUPS.index(group)]:
                wrong.append(f"{method} {url} ({name}): {status}")
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        status = _fetch(client, user, "GET", reverse("admin:app_list", kwargs={"app_label": app_label}))
        if _refused(status) == bool(GROUP_MAY[group].get(app_label)):
            wrong.append(f"GET app list {app_label}: {status}")
    assert wrong == []


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_reaches_exactly_its_model_pages(client, staff, group):
    user, wrong = staff[group], []
    for name, (model, model_admin, page) in _model_page_names().items():
        obj = model_admin.get_queryset(_request(staff["superuser"])).first()
        assert obj is not None, f"add a {model._meta.label} to tests/integrations/staff_dataset.py"
        url = reverse(name, args=[obj.pk] if page in ("history", "change", "delete") else [])
        exists = not _refused(_fetch(client, staff["superuser"], "GET", url))  # what the admin offers at all
        may = exists and MODEL_PAGES[page] in GROUP_MAY[group].get(model._meta.app_label, set())
        status = _fetch(client, user, "GET", url)
        assert status < 500, (url, status)
        if _refused(status) == may:
            wrong.append(f"GET {url}: {status}")
    assert wrong == []


def test_finance_cannot_start_or_complete_a_connect_flow(client, staff):
    """The defect: "Connect FreshBooks" only checked is_staff, so Finance could replace the tokens."""
    data = staff["data"]
    client.force_login(staff[FINANCE_GROUP])
    url = reverse("integrations:freshbooks-connect", args=[data["freshbooks"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    session = client.session
    session["freshbooks_connection_id"] = data["freshbooks"].pk  # as if a start had slipped through
    session.save()
    assert client.get(reverse("social:complete", args=["freshbooks"]), {"code": "x", "state": "y"}).status_code == 403
    data["freshbooks"].refresh_from_db()
    assert data["freshbooks"].get_secret("access_token").endswith("-access_token")  # tokens untouched


def test_finance_cannot_resubmit_a_task(client, staff):
    from django_q.models import Success

    client.force_login(staff[FINANCE_GROUP])
    task = Success.objects.first()
    before = OrmQ.objects.count()
    client.post(reverse("admin:django_q_success_changelist"),
                {"action": "resubmit_task", ACTION_CHECKBOX_NAME: [task.pk]})
    assert OrmQ.objects.count() == before
    client.force_login(staff[ADMIN_GROUP])
    client.post(reverse("admin:django_q_success_changelist"),
                {"action": "resubmit_task", ACTION_CHECKBOX_NAME: [task.pk]})
    assert OrmQ.objects.count() == before + 1


# --- Needs attention: the buttons of an item's page and the bulk actions ---------------------------
# POST "do" on admin:needs_attention_item (or "action" on the bulk page): (Finance staff may, Integration admin may)
ITEM_ACTIONS = {
    "replay": (True, True),
    "resolve": (True, True),
    "ignore": (True, True),
    "assign": (True, True),
    "note": (True, True),
    "edit_retry": (True, True),
    "replay_group": (True, True),
}


def test_the_item_actions_table_matches_the_page():
    from integrations.operations.attention import BULK_ACTIONS
    from integrations.operations.attention_admin import ITEM_ACTIONS as OFFERED

    assert set(OFFERED) | {"replay_group"} == set(ITEM_ACTIONS)
    assert set(BULK_ACTIONS) <= set(ITEM_ACTIONS)


def _item_post(client, user, item, action: str) -> int:
    client.force_login(user)
    data = {"do": action, "note": "checked with the vendor", "text": "a note", "assignee": user.pk,
            "overrides": "email = \"x@example.com\""}
    if action == "replay_group":
        return client.post(reverse("admin:needs_attention_cause"), {"key": item.cause_key or "k"}).status_code
    return client.post(reverse("admin:needs_attention_item", args=[item.pk]), data).status_code


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_may_exactly_its_item_actions(client, staff, group):
    from integrations.models import ItemAction, SyncItem

    dead, wrong = staff["data"]["dead"], []
    for action, may in ITEM_ACTIONS.items():
        SyncItem.objects.filter(pk=dead.pk).update(status="dead", resolution="", field_overrides={}, cause_key="k")
        before = ItemAction.objects.count()
        status = _item_post(client, staff[group], dead, action)
        assert status < 500, (action, status)
        acted = ItemAction.objects.count() > before
        if acted != may[GROUPS.index(group)] or (_refused(status) == may[GROUPS.index(group)]):
            wrong.append(f"{action}: {status}, acted={acted}")
    assert wrong == []


def test_a_staff_user_who_may_only_look_is_refused_every_item_action(client, staff, django_user_model):
    from django.contrib.auth.models import Permission

    from integrations.models import ItemAction

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_syncitem"))
    dead = staff["data"]["dead"]
    client.force_login(viewer)
    assert client.get(reverse("admin:needs_attention")).status_code == 200
    for action in ITEM_ACTIONS:
        assert _item_post(client, viewer, dead, action) == 403, action
    for action in ("replay", "resolve", "assign"):
        response = client.post(reverse("admin:needs_attention_bulk"), {"action": action, "items": [dead.pk]})
        assert response.status_code == 403, action
    assert not ItemAction.objects.exists()

"""The admin's sidebar (django-unfold ``UNFOLD["SIDEBAR"]["navigation"]``): pages grouped by the job
a person comes to do, each link shown only to who holds the permission its page checks.

*Internals* (task queue, sign-in records, social-auth, raw events and cursors) is machinery: only who
may change the task schedule sees it (the Integration admin group and superusers). Finance staff keep
the view permission of some of those tables (integrations/permissions.py), but nothing links to them.
"""
from __future__ import annotations

from django.urls import reverse_lazy

# "Needs attention": the error console (integrations/operations/attention_admin.py).
NEEDS_ATTENTION_URL_NAME = "admin:needs_attention"


def _perm(codename: str):
    return lambda request: request.user.has_perm(codename)


# Held by the Integration admin group (ADMIN_EXTRA_APPS in integrations/permissions.py), not by Finance staff.
INTERNALS_PERMISSION = "django_q.change_schedule"


def _item(title: str, icon: str, url_name: str, perm: str | None = None, *, internal: bool = False) -> dict:
    return {"title": title, "icon": icon, "link": reverse_lazy(url_name),
            "permission": _perm(INTERNALS_PERMISSION if internal else perm)}


def _changelist(app_model: str) -> str:
    app, model = app_model.split(".")
    return f"admin:{app}_{model}_changelist"


NAVIGATION = [
    {"title": "Work", "separator": True, "items": [
        _item("Needs attention", "priority_high", NEEDS_ATTENTION_URL_NAME, "integrations.view_syncitem"),
        _item("Dead letters", "report", _changelist("integrations.deadletter"), "integrations.view_deadletter"),
        _item("Conflicts", "call_split", _changelist("integrations.conflict"), "integrations.view_conflict"),
        _item("Sync items", "sync", _changelist("integrations.syncitem"), "integrations.view_syncitem"),
    ]},
    {"title": "Deals", "separator": True, "items": [
        _item("Search records", "search", "integrations:records_search", "integrations.view_binding"),
        _item("Records and timelines", "timeline", _changelist("integrations.entity"), "integrations.view_entity"),
        _item("Linked records", "link", _changelist("integrations.binding"), "integrations.view_binding"),
    ]},
    {"title": "Monitoring", "separator": True, "items": [
        _item("Sync dashboard", "monitoring", "monitoring:dashboard", "integrations.view_syncitem"),
        _item("Alerts", "notifications", _changelist("monitoring.alert"), "monitoring.view_alert"),
        _item("Alert rules", "rule", _changelist("monitoring.alertrule"), "monitoring.view_alertrule"),
        _item("Findings", "fact_check", _changelist("monitoring.finding"), "monitoring.view_finding"),
        _item("Reconciliation", "balance", "integrations:reconcile", "monitoring.view_finding"),
        _item("Attempts", "history", _changelist("monitoring.syncattempt"), "monitoring.view_syncattempt"),
        _item("API calls", "swap_horiz", _changelist("monitoring.apicall"), "monitoring.view_apicall"),
    ]},
    {"title": "Setup", "separator": True, "items": [
        _item("Connections", "cable", _changelist("integrations.connection"), "integrations.view_connection"),
        _item("Flows", "account_tree", _changelist("integrations.flow"), "integrations.view_flow"),
        _item("Mapping sets", "schema", _changelist("mappings.mappingset"), "mappings.view_mappingset"),
        _item("Value tables", "table", _changelist("mappings.valuetable"), "mappings.view_valuetable"),
        _item("Currency rates", "currency_exchange", _changelist("mappings.currencyrate"), "mappings.view_currencyrate"),
        _item("Mapping history", "manage_history", _changelist("mappings.mappingchange"), "mappings.view_mappingchange"),
    ]},
    {"title": "Internals", "separator": True, "collapsible": True, "items": [
        _item("Inbound events", "inbox", _changelist("integrations.inboundevent"), internal=True),
        _item("Poll cursors", "bookmark", _changelist("integrations.cursor"), internal=True),
        _item("Config imports", "upload_file", _changelist("mappings.configimport"), internal=True),
        _item("Successful tasks", "task_alt", _changelist("django_q.success"), internal=True),
        _item("Failed tasks", "error", _changelist("django_q.failure"), internal=True),
        _item("Scheduled tasks", "schedule", _changelist("django_q.schedule"), internal=True),
        _item("Queued tasks", "queue", _changelist("django_q.ormq"), internal=True),
        _item("Users", "person", _changelist("auth.user"), internal=True),
        _item("Groups", "group", _changelist("auth.group"), internal=True),
        _item("Sign-in attempts", "login", _changelist("axes.accessattempt"), internal=True),
        _item("Connected accounts (social-auth)", "key", _changelist("social_django.usersocialauth"), internal=True),
        _item("Authenticator devices", "phonelink_lock", _changelist("otp_totp.totpdevice"), internal=True),
    ]},
]


def sidebar_navigation(request) -> list[dict]:
    """Each group with the items this user may open; groups left empty are dropped."""
    groups = []
    for group in NAVIGATION:
        items = [item for item in group["items"] if item["permission"](request)]
        if items:
            groups.append({**group, "items": items})
    return groups

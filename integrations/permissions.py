"""The two staff groups and what they may do.

Finance staff see everything (secrets are never rendered to anyone), may replay and resync,
and decide findings; integration admins may do everything in Ledgerlink's apps, including
the named operator permissions below. Kept in sync on every migrate, so models added later
are covered without a new data migration. Every staff page and admin action checks one
named permission (tests/integrations/test_staff_permissions.py walks them all as each group).
"""
from __future__ import annotations

FINANCE_GROUP = "Finance staff"
ADMIN_GROUP = "Integration admin"

LEDGERLINK_APPS = ["integrations", "mappings", "monitoring"]
ADMIN_EXTRA_APPS = ["django_q", "social_django"]
# What finance may do besides looking (PRODUCT.md: replay, resync; and deciding findings), the error
# console's actions, and fixing a value table through its draft and publishing it
# (mappings/value_tables.py); not mapping sets, flows or connections.
FINANCE_EXTRA = [("integrations", "replay_syncitem"), ("integrations", "resync_binding"), ("monitoring", "decide_finding"),
                 # the error console (Needs attention): resolve / ignore with a note, assign, notes, Edit & retry
                 ("integrations", "resolve_syncitem"), ("integrations", "assign_syncitem"),
                 ("integrations", "note_syncitem"), ("integrations", "edit_retry_syncitem"),
                 ("mappings", "publish_valuetable")]
# Operator actions of the integration admin only (Meta permissions of Connection and Flow).
ADMIN_ONLY = [
    ("integrations", "connect_connection"),  # the OAuth "Connect" flows: they replace a connection's tokens
    ("integrations", "test_connection"),
    ("integrations", "check_connection"),  # the pre-flight checks (read-only, but they spend API calls)
    ("integrations", "override_checks_flow"),  # enabling a flow although a blocking check fails
    ("integrations", "prepare_connection"),  # creates fields and access in the connected system
    ("integrations", "register_webhooks_connection"),  # shop_webhooks_ensure (connectors/shop/subscriptions.py)
    ("integrations", "describe_connection"),  # reads objects' shapes from the system (operations/describe.py)
    ("integrations", "poll_flow"),
    ("integrations", "backfill_flow"),
    ("integrations", "reconcile_flow"),
    ("integrations", "operate_api_syncitem"),  # the operations API: operators' scripts, with a token
]


def groups_sync(apps=None) -> None:
    from django.apps import apps as global_apps

    apps = apps or global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    finance, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    admin, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    ours = Permission.objects.filter(content_type__app_label__in=LEDGERLINK_APPS)
    finance_perms = list(ours.filter(codename__startswith="view_"))
    for app_label, codename in FINANCE_EXTRA:
        finance_perms += list(ours.filter(content_type__app_label=app_label, codename=codename))
    # django-q2: looking at tasks and schedules only (resubmitting a task needs its change permission).
    finance_perms += list(Permission.objects.filter(content_type__app_label="django_q", codename__startswith="view_"))
    finance.permissions.set(finance_perms)
    # ``ours`` includes ADMIN_ONLY: the integration admin may do everything in Ledgerlink's apps.
    admin.permissions.set(list(ours) + list(Permission.objects.filter(content_type__app_label__in=ADMIN_EXTRA_APPS)))

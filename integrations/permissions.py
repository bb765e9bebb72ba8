"""The two staff groups and what they may do.

Finance staff see everything (secrets are never rendered to anyone) and may replay and
resync; integration admins may do everything in Ledgerlink's apps. Kept in sync on every
migrate, so models added later are covered without a new data migration.
"""
from __future__ import annotations

FINANCE_GROUP = "Finance staff"
ADMIN_GROUP = "Integration admin"

LEDGERLINK_APPS = ["integrations", "mappings", "monitoring"]
ADMIN_EXTRA_APPS = ["django_q", "social_django"]
FINANCE_EXTRA = [("integrations", "replay_syncitem"), ("integrations", "resync_binding"), ("monitoring", "decide_finding")]


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
    finance_perms += list(Permission.objects.filter(content_type__app_label="django_q", codename__startswith="view_"))
    finance.permissions.set(finance_perms)
    admin.permissions.set(
        list(ours) + list(Permission.objects.filter(content_type__app_label__in=ADMIN_EXTRA_APPS))
    )

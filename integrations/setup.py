"""What `manage.py ledgerlink_setup` does, step by step (an explicit, ordered registry).

Each step is idempotent: `make run` calls setup on every start.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from integrations.demo import DEMO_STEPS

def admin_user_ensure(write: Callable[[str], None]) -> None:
    """Create the first superuser from LEDGERLINK_ADMIN_* (generated into .env by `make run`)."""
    username = os.environ.get("LEDGERLINK_ADMIN_USER", "admin")
    password = os.environ.get("LEDGERLINK_ADMIN_PASSWORD", "")
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            write("No admin user created: set LEDGERLINK_ADMIN_PASSWORD (make run generates it into .env).")
            return
        User.objects.create_superuser(username=username, email=os.environ.get("LEDGERLINK_ADMIN_EMAIL", ""), password=password)
        write(f"Created admin user. Log in at {settings.LEDGERLINK_PUBLIC_URL}/admin/ as {username} / {password}")
    elif password and user.check_password(password):
        write(f"Log in at {settings.LEDGERLINK_PUBLIC_URL}/admin/ as {username} / {password}")
    else:
        write(f"Admin user '{username}' exists; its password was changed since it was generated (see .env for the original).")


def schedules_ensure(write: Callable[[str], None]) -> None:
    """Recurring engine jobs, created or corrected by name."""
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
    Schedule.objects.filter(name__in=OBSOLETE_SCHEDULES).delete()
    write(f"Schedules ensured: {', '.join(name for name, _, _ in SCHEDULES)}.")


# (name, task, every N minutes)
SCHEDULES: list[tuple[str, str, int]] = [
    ("ledgerlink: poll flows whose interval has passed", "integrations.tasks.flows_poll_due", 1),
    ("monitoring: hourly rollups for the dashboard", "monitoring.tasks.metrics_rollup", 1),
    ("monitoring: anomaly checks on business data", "monitoring.tasks.anomalies_run", 15),
    ("monitoring: reconcile linked records of every flow", "integrations.tasks.reconcile_all", 60),
    ("ledgerlink: delete records past their retention age", "integrations.tasks.records_prune", 24 * 60),
]
# Schedules of earlier versions, deleted by name on upgrade: Infor flows now poll through the
# one poller ("poll flows whose interval has passed"), like every other source.
OBSOLETE_SCHEDULES: list[str] = [
    "infor: poll open orders for delivery (flow 5)",
    "infor: poll changed customers by LMTS (flow 8)",
    # Run by the worker supervisor itself (integrations/cluster/jobs.py), so a wedged task queue
    # cannot stop them.
    "ledgerlink: dispatch due and recover stale sync items",
    "monitoring: evaluate alert rules",
]


def alert_rules_ensure(write: Callable[[str], None]) -> None:
    """Default alert rules (monitoring/alerts/defaults.py), so a fresh install warns from day one."""
    from monitoring.alerts.defaults import alert_rules_defaults_ensure

    created = alert_rules_defaults_ensure()
    if created:
        where = settings.LEDGERLINK_ALERT_EMAIL or "no address yet: set LEDGERLINK_ALERT_EMAIL or edit the rules"
        write(f"Created default alert rules ({where}): {', '.join(created)}.")


def setup_run(*, write: Callable[[str], None], demo: bool = True) -> None:
    admin_user_ensure(write)
    schedules_ensure(write)
    alert_rules_ensure(write)
    if demo and settings.SANDBOX_ENABLED:
        for path in DEMO_STEPS:  # integrations/demo/: the demo wiring, one step per system or flow set
            import_string(path)(write)

"""Infor flows join the one poller: give existing ones the cadence their own schedules had.

Before, two django-q2 schedules polled every enabled Infor flow of the shipment and customer
kinds (every 1 and 5 minutes) whatever its ``poll_interval_minutes`` said; now the one poller
polls a flow only when that interval is set (0 = never, as for every other source). So an
Infor flow left at 0 gets the interval its schedule had, and keeps polling after the upgrade.
(A connector-wide default would make 0 mean "never" for some sources and "the default" for
others; a stored interval the admin can see and change says what happens.) The obsolete
schedule rows themselves are deleted by name by ``setup.schedules_ensure``.
"""
from django.db import migrations

# source object of an Infor flow → minutes between polls (its former schedule's)
INTERVALS = {"order": 1, "customer": 5}


def intervals_set(apps, schema_editor):
    Flow = apps.get_model("integrations", "Flow")
    for source_object, minutes in INTERVALS.items():
        Flow.objects.filter(source_connection__system="infor", source_object=source_object,
                            poll_interval_minutes=0).update(poll_interval_minutes=minutes)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0007_cursor_flow")]
    operations = [migrations.RunPython(intervals_set, migrations.RunPython.noop)]

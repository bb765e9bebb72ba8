"""Named permissions for the staff actions that had none: connect and test a connection; poll,
backfill and reconcile a flow. The groups get them on the post_migrate that follows
(integrations.signals → permissions.groups_sync): Integration admin only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0008_infor_flows_poll_interval"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="connection",
            options={"ordering": ["name"], "permissions": [
                ("connect_connection", "Can connect a connection to its system (OAuth “Connect”)"),
                ("test_connection", "Can test a connection against its system"),
            ]},
        ),
        migrations.AlterModelOptions(
            name="flow",
            options={"ordering": ["name"], "permissions": [
                ("poll_flow", "Can poll a flow's source now"),
                ("backfill_flow", "Can backfill a flow"),
                ("reconcile_flow", "Can run a flow's reconciliation"),
            ]},
        ),
    ]

"""Cursors keyed by flow id: a flow's poll, delete-poll and backfill cursors named the flow by its
editable name in the stream ("poll:<flow name>"), so a rename silently restarted them. They now
point at the flow (Cursor.flow) and the stream is the plain kind ("poll", "poll-deleted",
"backfill").

Existing rows whose stream names a flow that exists are converted. Rows that match no flow are
kept as they are (flow empty, old stream): most belong to a flow renamed before this migration,
whose old watermark is the only record of where it had stopped, so deleting it would lose that;
nothing reads them any more, an operator may attach one to its flow in the admin or delete it.
Connection-level cursors (no flow in their stream) are not touched.
"""
import django.db.models.deletion
from django.db import migrations, models

FLOW_STREAMS = ("poll", "poll-deleted", "backfill")


def cursors_key_by_flow(apps, schema_editor):
    """"<stream>:<flow name>" → stream "<stream>" with the flow set, for every name that matches a flow."""
    Cursor, Flow = apps.get_model("integrations", "Cursor"), apps.get_model("integrations", "Flow")
    flows = dict(Flow.objects.values_list("name", "pk"))
    for cursor in Cursor.objects.filter(flow__isnull=True):
        stream, colon, name = cursor.stream.partition(":")
        if colon and stream in FLOW_STREAMS and name in flows:
            cursor.flow_id, cursor.stream = flows[name], stream
            cursor.save(update_fields=["flow", "stream"])


def cursors_key_by_name(apps, schema_editor):
    """Back again: the flow's name goes into the stream and the flow is unset."""
    Cursor = apps.get_model("integrations", "Cursor")
    for cursor in Cursor.objects.filter(flow__isnull=False).select_related("flow"):
        cursor.stream, cursor.flow = f"{cursor.stream}:{cursor.flow.name}"[:80], None
        cursor.save(update_fields=["flow", "stream"])


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0006_flow_kind_names"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="cursor",
            name="cursor_unique_stream",
        ),
        migrations.AddField(
            model_name="cursor",
            name="flow",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="cursors", to="integrations.flow"),
        ),
        migrations.AddConstraint(
            model_name="cursor",
            constraint=models.UniqueConstraint(condition=models.Q(("flow__isnull", True)),
                                               fields=("connection", "stream"), name="cursor_unique_stream"),
        ),
        migrations.AddConstraint(
            model_name="cursor",
            constraint=models.UniqueConstraint(condition=models.Q(("flow__isnull", False)),
                                               fields=("connection", "flow", "stream"),
                                               name="cursor_unique_flow_stream"),
        ),
        migrations.RunPython(cursors_key_by_flow, cursors_key_by_name),
    ]

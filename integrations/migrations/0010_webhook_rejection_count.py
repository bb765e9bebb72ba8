import django.db.models.deletion
from django.db import migrations, models


OLD_KEYS = {"webhook_rejections_signature": "signature", "webhook_rejections_other": "other"}


def counters_move(apps, schema_editor):
    """The counts kept until now in Connection.api_usage move to their own rows (nothing lost)."""
    Connection = apps.get_model("integrations", "Connection")
    Count = apps.get_model("integrations", "WebhookRejectionCount")
    for connection in Connection.objects.all():
        usage = dict(connection.api_usage or {})
        moved = {kind: int(usage.pop(key) or 0) for key, kind in OLD_KEYS.items() if key in usage}
        if moved:
            for kind, count in moved.items():
                Count.objects.create(connection_id=connection.pk, kind=kind, count=count)
            Connection.objects.filter(pk=connection.pk).update(api_usage=usage)


def counters_back(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    Count = apps.get_model("integrations", "WebhookRejectionCount")
    keys = {kind: key for key, kind in OLD_KEYS.items()}
    for row in Count.objects.all():
        connection = Connection.objects.filter(pk=row.connection_id).first()
        if connection is not None:
            Connection.objects.filter(pk=row.connection_id).update(
                api_usage={**(connection.api_usage or {}), keys.get(row.kind, f"webhook_rejections_{row.kind}"): row.count})


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0009_named_permissions'),
    ]

    operations = [
        migrations.CreateModel(
            name='WebhookRejectionCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=20)),
                ('count', models.PositiveBigIntegerField(default=0)),
                ('last_at', models.DateTimeField(blank=True, null=True)),
                ('last_detail', models.CharField(blank=True, help_text='Why the latest one was rejected.', max_length=300)),
                ('connection', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='webhook_rejection_counts', to='integrations.connection')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('connection', 'kind'), name='webhookrejection_unique_kind')],
            },
        ),
        migrations.RunPython(counters_move, counters_back),
    ]

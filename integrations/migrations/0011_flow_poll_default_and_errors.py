"""Polling as a safety net: a flow created without an interval polls every 15 minutes (the
default was 0, "never"), and a flow's failing poll is recorded on it (poll_error, poll_error_at,
poll_failures).

Existing flows keep the interval they have, 0 included. A 0 left by the old default and a 0
someone chose (a flow that has its change events and wants no polling calls) are stored the same
way: no history of the field exists (the admin's log records "Added." for a new flow, not its
values; import files always carry the interval), so no row can be told apart, and turning a
chosen 0 into polling would spend API calls nobody asked for. Instead, a flow at 0 with no live
event source is flagged on its admin page and on the monitoring dashboard.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0010_webhook_rejection_count'),
    ]

    operations = [
        migrations.AddField(
            model_name='flow',
            name='poll_error',
            field=models.TextField(blank=True, editable=False, help_text='Why the last poll failed (blank: it did not).'),
        ),
        migrations.AddField(
            model_name='flow',
            name='poll_error_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='flow',
            name='poll_failures',
            field=models.PositiveIntegerField(default=0, editable=False, help_text='Failed polls in a row.'),
        ),
        migrations.AlterField(
            model_name='flow',
            name='poll_interval_minutes',
            field=models.PositiveIntegerField(default=15, help_text='Minutes between polls of the source for what webhooks and change events missed (default 15). 0 = never poll: the flow then relies on its live event source alone, and is flagged when it has none.'),
        ),
    ]

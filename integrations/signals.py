from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver


@receiver(post_migrate)
def _groups_sync(sender, app_config=None, **kwargs):
    # post_migrate fires once per app; permissions of all apps exist after the last one.
    if app_config is not None and app_config.label == "integrations":
        from integrations.permissions import groups_sync

        groups_sync()


@receiver(post_save, sender="integrations.Connection")
def _route_wakeup_create(sender, instance, created, **kwargs):
    # Receivers flip the row with one UPDATE (no read first), so every connection needs one.
    if created:
        from integrations.models import RouteWakeup

        RouteWakeup.objects.get_or_create(connection_id=instance.pk)

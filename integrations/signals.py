from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def _groups_sync(sender, app_config=None, **kwargs):
    # post_migrate fires once per app; permissions of all apps exist after the last one.
    if app_config is not None and app_config.label == "integrations":
        from .permissions import groups_sync

        groups_sync()

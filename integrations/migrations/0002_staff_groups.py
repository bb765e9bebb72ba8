"""Create the "Finance staff" and "Integration admin" groups with their permissions."""
from django.db import migrations


def groups_create(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create them now so the
    # groups can be given them in this migration.
    for app_config in global_apps.get_app_configs():
        original, app_config.models_module = app_config.models_module, True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    from integrations.permissions import groups_sync

    groups_sync(apps)


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Finance staff", "Integration admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("monitoring", "0001_initial"),
        ("mappings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(groups_create, groups_delete)]

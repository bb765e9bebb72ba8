from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from config.crypto import ENCRYPTED_FIELDS, secret_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key in FIELD_ENCRYPTION_KEYS. "
        "Rotation: put the new key first, keep the old one after it, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        total = 0
        with transaction.atomic():  # all rows or none: a key that opens only some rows changes nothing
            for app_label, model_name, field in ENCRYPTED_FIELDS:
                model = apps.get_model(app_label, model_name)
                for pk, token in model.objects.exclude(**{field: ""}).values_list("pk", field).iterator():
                    model.objects.filter(pk=pk).update(**{field: secret_rotate(token)})
                    total += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} secret value(s) with the newest key."))

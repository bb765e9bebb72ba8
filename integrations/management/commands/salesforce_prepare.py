"""manage.py salesforce_prepare NAME [--apply]: create in the org the custom fields our flows
need and a permission set granting the integration user access (a dry run unless --apply)."""
from django.core.management.base import BaseCommand, CommandError

from integrations.connectors.salesforce.prepare import salesforce_prepare
from integrations.errors import SyncError
from integrations.management.arguments import connection_named


class Command(BaseCommand):
    help = ("Prepare Salesforce: list (dry run, the default) or create (--apply) the custom fields and the "
            "permission set our flows need. Never changes or deletes an existing field.")

    def add_arguments(self, parser):
        parser.add_argument("name", help="The Salesforce connection's name.")
        parser.add_argument("--apply", action="store_true", help="Create what the dry run lists.")

    def handle(self, *args, name, apply=False, **options):
        connection = connection_named(name, system="salesforce")
        try:
            plan = salesforce_prepare(connection, dry_run=not apply)
        except SyncError as exc:
            raise CommandError(f"Could not read the org: {exc.message}") from None
        for m in plan.mismatches:
            self.stdout.write(f"differs (not changed): {m.spec.full_name} {m.reason}")
        if apply:
            for line in plan.done:
                self.stdout.write(f"done: {line}")
            for line in plan.errors:
                self.stdout.write(f"failed: {line}")
        else:
            for line in plan.steps():
                self.stdout.write(f"will: {line}")
        if plan.nothing_to_do and not plan.done:
            self.stdout.write("Nothing to do: every field our flows need exists, with access for the integration user.")
        elif not apply:
            self.stdout.write("Dry run: nothing changed. Run again with --apply to make these changes.")
        if plan.errors or plan.mismatches:
            raise CommandError(f"{len(plan.errors)} failed, {len(plan.mismatches)} existing field(s) differ.")

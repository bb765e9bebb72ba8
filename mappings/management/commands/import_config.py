"""manage.py import_config config.json [--dry-run] — show the diff; apply it in one transaction, or nothing."""
from django.core.management.base import BaseCommand, CommandError

from mappings.errors import ConfigurationError
from mappings.promotion import config_import, config_loads
from mappings.promotion_io import config_connections_rename


class Command(BaseCommand):
    help = "Import a configuration file written by export_config. --dry-run prints the diff and changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Print the differences only.")
        parser.add_argument("--override-reason", default="",
                            help="Enable the file's flows although a blocking pre-flight check fails, for this reason "
                                 "(recorded; only with --user, who needs the override permission).")
        parser.add_argument("--user", default="", help="Username the import (and any override) is recorded for.")
        parser.add_argument("--connection", action="append", default=[], metavar="IN_FILE=HERE",
                            help="Use the connection named HERE where the file names IN_FILE (repeatable): each "
                                 "environment names its own connections.")

    def handle(self, *args, file, dry_run=False, override_reason="", user="", connection=(), **options):
        from django.contrib.auth import get_user_model

        renames = dict(_rename(pair) for pair in connection)

        who = get_user_model().objects.filter(username=user).first() if user else None
        if user and who is None:
            raise CommandError(f"No user named {user!r}.")
        try:
            with open(file, encoding="utf-8") as handle:
                data = config_connections_rename(config_loads(handle.read(), source_name=file), renames)
            result = config_import(data=data, dry_run=dry_run, source_name=file, user=who,
                                   override_reason=override_reason)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except ConfigurationError as exc:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(exc.problems)) from None
        for line in result.diff:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(f"Imported as configuration version {result.record.checksum[:12]} (ConfigImport #{result.record.pk}).")
        if result.refused:
            raise CommandError("Imported, but these flows stay disabled:\n  " + "\n  ".join(result.refused))


def _rename(pair: str) -> tuple[str, str]:
    in_file, sep, here = pair.partition("=")
    if not sep or not in_file.strip() or not here.strip():
        raise CommandError(f"--connection {pair!r}: write it as NAME_IN_FILE=NAME_HERE.")
    return in_file.strip(), here.strip()

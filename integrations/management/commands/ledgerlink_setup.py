from django.core.management.base import BaseCommand

from integrations.setup import setup_run


class Command(BaseCommand):
    help = "Idempotent set-up: admin user, engine schedules, and (with the sandbox on) the demo connections and flows."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Skip the sandbox demo data.")

    def handle(self, *args, **options):
        setup_run(write=self.stdout.write, demo=not options["no_demo"])

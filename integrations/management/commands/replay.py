"""manage.py replay --dead [--flow NAME] [--since 2h|7d|ISO]: put dead letters back in the queue."""
from django.core.management.base import BaseCommand, CommandError

from integrations.management.arguments import flow_named
from integrations.management.commands.reconcile import since_parse
from integrations.operations.replay import dead_items_replay


class Command(BaseCommand):
    help = "Replay dead-letter items (fresh attempt budget), optionally of one flow and since a time."

    def add_arguments(self, parser):
        parser.add_argument("--dead", action="store_true", required=True, help="Replay dead-letter items.")
        parser.add_argument("--flow", help="Only this flow's items.")
        parser.add_argument("--since", help="Only items that died since: 2h, 7d, or an ISO date-time.")

    def handle(self, *args, dead, flow=None, since=None, **options):
        if not dead:
            raise CommandError("Say what to replay: --dead.")
        queued, notes = dead_items_replay(flow=flow_named(flow) if flow else None,
                                          since=since_parse(since) if since else None)
        for note in notes:
            if not note.endswith("queued again."):
                self.stdout.write(note)
        self.stdout.write(f"{queued} item(s) queued again.")

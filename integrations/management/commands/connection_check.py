"""manage.py connection_check [NAME] [--flow NAME] [--json]: the pre-flight checks (read-only), each
with pass / fail / warning, one sentence and the fix; exits 1 when any check fails."""
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from integrations.management.arguments import flow_named
from integrations.models import Connection
from integrations.operations.preflight import connection_check, flow_check

MARK = {"pass": "PASS", "fail": "FAIL", "warning": "WARN"}


class Command(BaseCommand):
    help = ("Run the pre-flight checks of a connection (for its enabled flows), of one flow (--flow), or of every "
            "active connection. Read-only. Exit status 1 when a check fails.")

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="The connection's name (default: every active connection).")
        parser.add_argument("--flow", help="Check this flow: its connections (for its needs) and its mapping sets; "
                                           "with NAME, only that connection (for this flow's needs).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the results as JSON.")

    def handle(self, *args, name=None, flow=None, as_json=False, **options):
        connections = Connection.objects.filter(name=name) if name else Connection.objects.filter(is_active=True)
        if name and not connections.exists():
            raise CommandError(f"No connection named {name!r}.")
        if flow and name:  # this connection, for what that one flow needs of it
            reports = [(f"Connection {name} for flow {flow}",
                        connection_check(connection=connections.get(), flows=[flow_named(flow)]))]
        elif flow:
            reports = [(f"Flow {flow}", flow_check(flow=flow_named(flow)))]
        else:
            reports = [(f"Connection {c.name}", connection_check(connection=c)) for c in connections]
        if as_json:
            self.stdout.write(json.dumps([{"title": title, "results": [r.as_dict() for r in results]}
                                          for title, results in reports], indent=2))
        else:
            for title, results in reports:
                self.stdout.write(title)
                for r in results:
                    where = f" [{r.connection}]" if r.connection else ""
                    self.stdout.write(f"  {MARK.get(r.status, r.status)} {r.name}{where}: {r.sentence}")
                    if r.fix and r.status != "pass":
                        self.stdout.write(f"       fix: {r.fix}" + (f" ({r.fix_url})" if r.fix_url else ""))
        if any(r.failed for _, results in reports for r in results):
            self.stderr.write("Some checks fail (see above).")
            sys.exit(1)


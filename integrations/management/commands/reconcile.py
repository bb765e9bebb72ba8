"""Compare a flow's linked records across systems and list the drift (findings are recorded)."""
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from integrations.models import Flow
from integrations.operations.reconcile import (
    DRIFT_WORDS,
    reconcile_findings_record,
    reconcile_flow,
)

UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def since_parse(value: str):
    """'2h', '7d', '30m', or an ISO datetime."""
    if value[:-1].isdigit() and value[-1] in UNITS:
        return timezone.now() - timedelta(**{UNITS[value[-1]]: int(value[:-1])})
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"--since '{value}' is neither a duration like 2h / 7d nor a date-time like 2026-01-31T00:00.")
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = "Reconcile one flow: read both linked records of every pair and list where they differ."

    def add_arguments(self, parser):
        parser.add_argument("--flow", required=True, help="The flow's name (slug).")
        parser.add_argument("--since", help="Only records relinked since then: 2h, 7d, or an ISO date-time.")

    def handle(self, *args, flow, since=None, **options):
        try:
            flow_obj = Flow.objects.select_related("source_connection", "target_connection").get(name=flow)
        except Flow.DoesNotExist:
            names = ", ".join(Flow.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No flow named '{flow}'. Flows: {names}.") from None
        report = reconcile_flow(flow=flow_obj, since=since_parse(since) if since else None,
                                progress=lambda pairs: tqdm(pairs, desc="pairs", disable=None, file=self.stderr))
        if report.note:
            raise CommandError(report.note)
        recorded = reconcile_findings_record(report=report)
        for d in report.drifts:
            self.stdout.write(f"{DRIFT_WORDS[d.kind]:<28} {d.source_binding.object_type} {d.source_binding.external_id} ↔ "
                              f"{d.target_binding.object_type} {d.target_binding.external_id}: {d.message}")
        self.stdout.write(f"{report.checked} linked pair(s) compared, {len(report.drifts)} difference(s); "
                          f"findings: {recorded['new']} new, {recorded['cleared']} cleared.")

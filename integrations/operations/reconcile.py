"""Reconciliation: do the linked records still agree across systems?

For one flow, every pair of bound records (the source record and the target record of the
same entity) is read fresh from both systems and compared: existence, amount, currency,
status. Differences are drift; each is recorded as a finding (check "reconcile"), which
feeds the alerts, and can be resynced with one click.

Remote records are read by each system's connector (``record_read`` in
connectors/<system>/connector.py, listed in CONNECTORS):
``callable(connection, object_type, external_id) -> dict | None`` (None: the record does
not exist). Deployments may add or replace readers through the ``LEDGERLINK_RECORD_READERS``
setting (system → callable or dotted path). A reader returns a plain dict; the comparison uses
these keys when both sides have them:

    amount    a number or numeric string (compared within the flow's tolerance)
    currency  an ISO code
    status    the record's status, compared through the flow's status map

Per-flow options live in ``Flow.settings["reconcile"]``:
    amount_tolerance  default 0.01
    status_map        {source status: expected target status, or a list of accepted ones};
                      without it statuses are not compared (systems name them differently)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.connectors.registry import CONNECTORS
from integrations.models import Binding, Flow
from monitoring.findings import Found, findings_sync

CHECK_NAME = "reconcile"
DRIFT_WORDS = {
    "missing_source": "missing in the source system",
    "missing_target": "missing in the target system",
    "amount_differs": "totals differ",
    "currency_differs": "currencies differ",
    "status_lagging": "status lagging",
    "unreadable": "could not be read",
}


class NoReader(LookupError):
    pass


@dataclass
class Drift:
    kind: str
    message: str
    source_binding: Binding
    target_binding: Binding
    source: dict | None = None
    target: dict | None = None


@dataclass
class ReconcileReport:
    flow: Flow
    checked: int = 0
    drifts: list[Drift] = field(default_factory=list)
    note: str = ""
    examined: set = field(default_factory=set)


def record_reader(system: str) -> Callable:
    connector = CONNECTORS.get(system)
    spec = getattr(settings, "LEDGERLINK_RECORD_READERS", {}).get(system) or (connector and connector.record_read)
    if not spec:
        raise NoReader(f"No record reader is registered for {system}, so its records cannot be reconciled.")
    return import_string(spec) if isinstance(spec, str) else spec


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def records_compare(source: dict, target: dict, options: dict) -> list[tuple[str, str]]:
    """(drift kind, words) for every way two existing records disagree."""
    out = []
    a, b = _amount(source.get("amount")), _amount(target.get("amount"))
    tolerance = Decimal(str(options.get("amount_tolerance", "0.01")))
    if a is not None and b is not None and abs(a - b) > tolerance:
        out.append(("amount_differs", f"source total {a}, target total {b} (difference {b - a})"))
    ca, cb = source.get("currency"), target.get("currency")
    if ca and cb and str(ca).upper() != str(cb).upper():
        out.append(("currency_differs", f"source in {ca}, target in {cb}"))
    status_map = options.get("status_map") or {}
    sa, sb = source.get("status"), target.get("status")
    if status_map and sa in status_map and sb is not None:
        expected = status_map[sa] if isinstance(status_map[sa], list) else [status_map[sa]]
        if sb not in expected:
            out.append(("status_lagging", f"source is '{sa}', so the target should be '{' or '.join(expected)}' but is '{sb}'"))
    return out


def _pair_drifts(flow: Flow, src: Binding, dst: Binding, read_source, read_target) -> list[Drift]:
    try:
        source = read_source(src.connection, src.object_type, src.external_id)
        target = read_target(dst.connection, dst.object_type, dst.external_id)
    except Exception as exc:  # a read failure is reported on the row, the run goes on
        return [Drift("unreadable", f"could not read the records: {exc}", src, dst)]
    if source is None:
        return [Drift("missing_source", f"{src.object_type} {src.external_id} no longer exists in {src.connection.name}", src, dst, None, target)]
    if target is None:
        return [Drift("missing_target", f"{dst.object_type} {dst.external_id} no longer exists in {dst.connection.name}", src, dst, source, None)]
    options = (flow.settings or {}).get("reconcile", {})
    return [Drift(kind, words, src, dst, source, target) for kind, words in records_compare(source, target, options)]


def reconcile_flow(*, flow: Flow, since: datetime | None = None,
                   progress: Callable[[Iterable], Iterable] | None = None) -> ReconcileReport:
    report = ReconcileReport(flow=flow)
    if flow.target_connection_id is None:
        report.note = "This flow has no target system to compare with."
        return report
    try:
        read_source = record_reader(flow.source_connection.system)
        read_target = record_reader(flow.target_connection.system)
    except NoReader as exc:
        report.note = str(exc)
        return report
    sources = Binding.objects.select_related("connection").filter(
        connection_id=flow.source_connection_id, object_type=flow.source_object
    )
    if since is not None:
        sources = sources.filter(updated_at__gte=since)
    targets = {
        b.entity_id: b for b in Binding.objects.select_related("connection").filter(
            connection_id=flow.target_connection_id, object_type=flow.target_object,
            entity_id__in=sources.values("entity_id"),
        )
    }
    pairs = [(s, targets[s.entity_id]) for s in sources.order_by("pk") if s.entity_id in targets]
    for src, dst in (progress(pairs) if progress else pairs):
        report.checked += 1
        report.examined.add(pair_subject(flow, src))
        report.drifts.extend(_pair_drifts(flow, src, dst, read_source, read_target))
    return report


def pair_subject(flow: Flow, source_binding: Binding) -> str:
    return f"flow:{flow.pk}:entity:{source_binding.entity_id}"


def reconcile_findings_record(*, report: ReconcileReport, now: datetime | None = None) -> dict:
    found = [
        Found(
            subject=pair_subject(report.flow, d.source_binding), variant=d.kind, flow_id=report.flow.pk,
            title=f"{report.flow}: {d.source_binding.object_type} {d.source_binding.external_id} ↔ "
                  f"{d.target_binding.object_type} {d.target_binding.external_id}: {DRIFT_WORDS[d.kind]}",
            explanation=("Reconciliation reads both linked records fresh from their systems and compares existence, "
                         "amount (within the flow's tolerance), currency and status (through the flow's status map). "
                         f"Here: {d.message}."),
            details={"drift": d.kind, "message": d.message, "source": d.source, "target": d.target},
            records=[_record(d.source_binding, "Source"), _record(d.target_binding, "Target")],
        )
        for d in report.drifts
    ]
    return findings_sync(check_name=CHECK_NAME, found=found, examined=report.examined, now=now or timezone.now())


def _record(binding: Binding, label: str) -> dict:
    return {"label": label, "system": binding.connection.system, "connection_id": binding.connection_id,
            "object_type": binding.object_type, "external_id": binding.external_id, "binding_id": binding.pk,
            "entity_id": binding.entity_id}


def reconcile_all(*, since: datetime | None = None) -> dict:
    """The scheduled job: every enabled flow, findings recorded (alerts read them)."""
    summary = {}
    for flow in Flow.objects.filter(enabled=True).select_related("source_connection", "target_connection"):
        report = reconcile_flow(flow=flow, since=since)
        recorded = reconcile_findings_record(report=report) if not report.note else {}
        summary[flow.name] = {"checked": report.checked, "drift": len(report.drifts), "note": report.note, **recorded}
    return summary

"""Pre-flight checks: run each system's checks (its connector's ``preflight_checks``) for what the
flows need of it, plus the checks of the flows' mapping sets; and the rule that a flow cannot be
enabled while a blocking check fails, unless someone allowed to overrides it with a reason.

Read-only: nothing here writes to an external system. The admin's *Check* actions, the
``connection_check`` command and every way of enabling a flow (admin form and action,
import_config) call these services.
"""
from __future__ import annotations

import logging
from dataclasses import replace

import requests
from django.db import transaction
from django.urls import reverse

from integrations.connectors.preflight import (
    CheckResult,
    Needs,
    SalesforceField,
    check_fail,
    check_pass,
    check_warning,
)
from integrations.connectors.registry import CONNECTORS
from integrations.errors import SyncError, UnknownFlowKind
from integrations.flows.registry import flow_handler_class, flow_mapping_sets
from integrations.models import Connection, Flow, FlowCheckOverride
from mappings.models import FieldMapping, MappingSet, ValueTable
from mappings.schemas import schema_for

logger = logging.getLogger(__name__)
OVERRIDE_PERMISSION = "integrations.override_checks_flow"


# -- which connections and mapping sets a flow uses ----------------------------------------------
def flow_connections(flow: Flow) -> list[Connection]:
    """The flow's source and target, and the connections its settings name ("<system>_connection")."""
    found = [c for c in (flow.source_connection, flow.target_connection) if c is not None]
    for system in CONNECTORS:
        named = (flow.settings or {}).get(f"{system}_connection")
        if named and not any(c.system == system for c in found):
            connection = Connection.objects.filter(name=named, system=system).first()
            if connection is not None:
                found.append(connection)
    return found


def _target_fields(mapping_set: MappingSet) -> list[tuple[str, list[str]]]:
    """(target path, value tables its transforms look up) of each mapping, children with their parents' path."""
    rows = list(mapping_set.field_mappings.all())
    by_id = {row.pk: row for row in rows}

    def path(row: FieldMapping) -> str:
        parent = by_id.get(row.parent_id)
        return f"{path(parent)}.{row.target_field}" if parent is not None else row.target_field

    out = []
    for row in rows:
        tables = [str(t["args"]["table"]) for t in row.transforms or []
                  if isinstance(t, dict) and isinstance(t.get("args"), dict) and t["args"].get("table")]
        out.append((path(row), tables))
    return out


def _leaf(path: str) -> str:
    return path.split(".")[-1].split("[")[0]


# -- what the flows need of each connection ------------------------------------------------------
def needs_collect(flows) -> dict[int, Needs]:
    """Per connection id: what these flows need of it (their declarations and their mapping sets)."""
    out: dict[int, Needs] = {}
    for flow in flows:
        try:
            handler = flow_handler_class(flow.kind)(flow)
        except UnknownFlowKind:
            continue  # the flow's own check names it
        req = handler.requirements
        connections = flow_connections(flow)
        for connection in connections:
            needs = out.setdefault(connection.pk, Needs())
            needs.flows.append(flow.name)
            needs.flow_kinds.setdefault(flow.kind, flow.name)
            is_source = connection.pk == flow.source_connection_id
            if connection.system == "salesforce":
                if is_source and flow.trigger == Flow.Trigger.CHANGE_EVENT:
                    needs.change_events.setdefault(flow.source_object, flow.name)
            elif connection.system == "freshbooks":
                for scope in req.freshbooks_scopes:
                    needs.freshbooks_scopes.setdefault(scope, flow.name)
                if is_source and flow.trigger == Flow.Trigger.WEBHOOK:
                    needs.freshbooks_events.setdefault(flow.source_object, flow.name)
            elif connection.system == "infor":
                for name in req.infor_settings:
                    needs.infor_settings.setdefault(name, flow.name)
                for name, m3_field in req.infor_code_settings:
                    needs.code_add(m3_field, handler.setting(name), f"flow {flow.name}, setting {name}")
        for _step, name, mapping_set in flow_mapping_sets(flow):
            if mapping_set is None:
                continue
            target = next((c for c in connections if c.system == mapping_set.target_system), None)
            if target is None:
                continue
            needs = out[target.pk]
            for path, tables in _target_fields(mapping_set):
                if target.system == "salesforce" and "." not in path:
                    needs.field_add(SalesforceField(mapping_set.target_object, path, ""), f"mapping set {name}")
                if target.system == "infor":
                    for table in ValueTable.objects.filter(name__in=tables).prefetch_related("entries"):
                        for entry in table.entries.all():
                            needs.code_add(_leaf(path), entry.target_value, f"value table {table.name}")
                        needs.code_add(_leaf(path), table.default_value, f"value table {table.name} (default)")
    return out


def enabled_flows_of(connection: Connection) -> list[Flow]:
    flows = Flow.objects.filter(enabled=True).select_related("source_connection", "target_connection", "mapping_set")
    return [f for f in flows if any(c.pk == connection.pk for c in flow_connections(f))]


# -- the mapping checks ------------------------------------------------------------------------------
def mapping_checks(flow: Flow) -> list[CheckResult]:
    """Every mapping set the flow uses is published, and its target fields exist in the target's schema
    (Salesforce targets are checked against describe, with the Salesforce fields)."""
    results = []
    try:
        chosen = flow_mapping_sets(flow)
    except UnknownFlowKind as exc:
        return [check_fail("Flow kind", str(exc), "Choose a registered kind on the flow's page.")]
    for step, name, mapping_set in chosen:
        label = f"Mapping set {name}" + (f" ({step} step)" if step else "")
        link = reverse("admin:mappings_mappingset_changelist") + f"?q={name}"
        if mapping_set is None:
            drafts = MappingSet.objects.filter(name=name).exists()
            results.append(check_fail(label, f"Flow {flow.name} maps with mapping set '{name}', which has no published "
                                             f"version{' (only drafts)' if drafts else ''}.",
                                      "Publish a version of it (Mappings → Mapping sets).", url=link))
            continue
        if mapping_set.status != MappingSet.Status.PUBLISHED:
            results.append(check_fail(label, f"Flow {flow.name} names {mapping_set}, which is not published.",
                                      "Publish it, or choose a published version on the flow.", url=link))
            continue
        schema = schema_for(mapping_set.target_system, mapping_set.target_object)
        if mapping_set.target_system == "salesforce":
            results.append(check_pass(label, f"Published (v{mapping_set.version}); its Salesforce target fields are "
                                             "checked against describe with the Salesforce fields."))
            continue
        unknown = [path for path, _ in _target_fields(mapping_set) if schema is not None and not schema.accepts(path)]
        if unknown:
            results.append(check_fail(label, f"Published (v{mapping_set.version}), but {', '.join(unknown)} "
                                             f"{'is' if len(unknown) == 1 else 'are'} not a field of "
                                             f"{mapping_set.target_system} {mapping_set.target_object}.",
                                      "Correct the target field in a new version of the mapping set.", url=link))
        else:
            results.append(check_pass(label, f"Published (v{mapping_set.version}); every target field exists in "
                                             f"{mapping_set.target_system} {mapping_set.target_object}."))
    return results


# -- running the checks ------------------------------------------------------------------------------
def _connector_checks(connection: Connection, needs: Needs) -> list[CheckResult]:
    connector = CONNECTORS.get(connection.system)
    run = getattr(connector, "preflight_checks", None) if connector else None
    if run is None:
        return [check_warning("Pre-flight checks", f"There are no pre-flight checks for {connection.system} yet.")]
    try:
        return list(run(connection=connection, needs=needs))
    except (SyncError, requests.RequestException) as exc:
        # A check that could not finish is a failure naming why, never an error page.
        message = exc.message if isinstance(exc, SyncError) else str(exc)
        return [check_fail("Reaching the system", f"The checks stopped: {message}",
                           "Test the connection, and connect it again if the test fails.",
                           url=reverse("admin:integrations_connection_change", args=[connection.pk]))]


def _tagged(results: list[CheckResult], connection: str) -> list[CheckResult]:
    return [replace(r, connection=connection) for r in results]


def connection_check(*, connection: Connection, flows: list[Flow] | None = None) -> list[CheckResult]:
    """The checks of one connection for the given flows (default: the enabled flows using it)."""
    flows = enabled_flows_of(connection) if flows is None else flows
    needs = needs_collect(flows).get(connection.pk) or Needs()
    results = _tagged(_connector_checks(connection, needs), connection.name)
    for flow in flows:
        results += mapping_checks(flow)
    return results


def flow_check(*, flow: Flow) -> list[CheckResult]:
    """The checks of every connection the flow uses, for this flow's needs, and of its mapping sets."""
    needs = needs_collect([flow])
    results = []
    for connection in flow_connections(flow):
        results += _tagged(_connector_checks(connection, needs.get(connection.pk) or Needs()), connection.name)
    return results + mapping_checks(flow)


# -- enabling ----------------------------------------------------------------------------------------
class FlowEnableRefused(Exception):
    def __init__(self, message: str, failures: list[CheckResult]):
        super().__init__(message)
        self.message, self.failures = message, failures


def flow_enable_allowed(*, flow: Flow, user=None, override_reason: str = "") -> list[CheckResult]:
    """Raise FlowEnableRefused while a blocking check fails, unless ``user`` may override and gives a
    reason. Returns the blocking failures being overridden (empty when every blocking check passes)."""
    failures = [r for r in flow_check(flow=flow) if r.blocks]
    if not failures:
        return []
    names = "; ".join(f"{r.name}: {r.sentence}" for r in failures)
    if not (override_reason or "").strip():
        raise FlowEnableRefused(f"Flow {flow.name} cannot be enabled while these checks fail: {names} "
                                "An integration admin may override with a reason.", failures)
    if user is None or not user.has_perm(OVERRIDE_PERMISSION):
        raise FlowEnableRefused(f"Flow {flow.name} cannot be enabled while these checks fail: {names} "
                                "Overriding them needs the “override checks” permission.", failures)
    return failures


def flow_override_record(*, flow: Flow, user, reason: str, failures: list[CheckResult]) -> FlowCheckOverride:
    """Who enabled the flow despite which failing checks, when, and why (shown on the flow)."""
    return FlowCheckOverride.objects.create(
        flow=flow, user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "get_username", lambda: "")() or "", reason=reason.strip(),
        failed_checks=[r.as_dict() for r in failures])


def flow_enable(*, flow: Flow, user=None, override_reason: str = "") -> FlowCheckOverride | None:
    """Enable the flow when its blocking checks pass, or when overridden (recorded)."""
    failures = flow_enable_allowed(flow=flow, user=user, override_reason=override_reason)
    with transaction.atomic():
        flow.enabled = True
        flow.save(update_fields=["enabled", "updated_at"])
        record = flow_override_record(flow=flow, user=user, reason=override_reason, failures=failures) if failures else None
    logger.info("flow %s enabled%s", flow.name, " (checks overridden)" if record else "")
    return record


def flows_enable_by_name(*, names: list[str], user=None, override_reason: str = "") -> list[str]:
    """Enable each named flow by the rule above; a sentence for each one refused (it stays disabled).
    import_config calls this (through LEDGERLINK_FLOW_ENABLER) for the flows a file enables."""
    refused = []
    for flow in Flow.objects.filter(name__in=names).select_related("source_connection", "target_connection"):
        try:
            flow_enable(flow=flow, user=user, override_reason=override_reason)
        except FlowEnableRefused as exc:
            refused.append(exc.message)
    return refused


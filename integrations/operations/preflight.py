"""Pre-flight checks: run each system's checks (its connector's ``preflight_checks``) for what the
flows need of it (preflight_needs.py), plus the checks of the flows' mapping sets
(preflight_mappings.py). Read-only: nothing here writes to an external system. The admin's *Check*
actions, the ``connection_check`` command and the enabling rule (flow_enabling.py) call these.
"""
from __future__ import annotations

from dataclasses import replace

import requests
from django.urls import reverse

from integrations.connectors.preflight import CheckResult, Needs, check_fail, check_warning
from integrations.connectors.registry import CONNECTORS
from integrations.errors import SyncError
from integrations.models import Connection, Flow
from integrations.operations.preflight_mappings import mapping_checks
from integrations.operations.preflight_needs import enabled_flows_of, flow_connections, needs_collect


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

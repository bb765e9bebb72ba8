"""The rule for enabling a flow: not while a blocking pre-flight check fails, unless a user with the
"override checks" permission gives a reason, which is recorded (who, when, why, which checks) and
shown on the flow. The admin form and action and import_config all enable through here."""
from __future__ import annotations

import logging

from django.db import transaction

from integrations.connectors.preflight import CheckResult
from integrations.models import Flow, FlowCheckOverride
from integrations.operations.preflight import flow_check

logger = logging.getLogger(__name__)
OVERRIDE_PERMISSION = "integrations.override_checks_flow"


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

"""Salesforce's pre-flight checks (connectors/preflight.py): identity and API access, the fields the
flows read and write (describe), Change Data Capture for the entities they read (Pub/Sub
GetTopic), and the daily API budget. Read-only."""
from __future__ import annotations

from django.urls import reverse

from integrations.connectors.preflight import (
    COMPATIBLE_TYPES,
    CheckResult,
    Needs,
    SalesforceField,
    check_fail,
    check_pass,
    check_warning,
)
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.custom_fields import custom_fields_for
from integrations.connectors.salesforce.pubsub_topics import change_event_channel, topic_get
from integrations.errors import SyncError
from integrations.models import Connection

#: the share of the daily API requests left below which the budget check warns
BUDGET_WARNING_SHARE = 0.1
PREPARE = "Run “Prepare Salesforce” on the connection (it creates missing fields and the permission set)"


def _connection_link(connection: Connection) -> str:
    return reverse("admin:integrations_connection_change", args=[connection.pk])


def _prepare_link(connection: Connection) -> str:
    """The Prepare Salesforce page (dry run first) of this connection."""
    return reverse("integrations:salesforce-prepare", args=[connection.pk])


def identity_check(client: SalesforceClient, connection: Connection) -> tuple[CheckResult, dict | None]:
    try:
        identity = client.identity()
    except SyncError as exc:
        return check_fail("Identity and API access", f"Salesforce refused the connection: {exc.message}",
                          "Connect Salesforce again (the connection's Connect button).",
                          url=_connection_link(connection)), None
    return check_pass("Identity and API access", f"Signed in as {identity.get('username')} "
                                                 f"(org {identity.get('organization_id')})."), identity


def _field_problems(need: SalesforceField, described: dict | None) -> tuple[str, str] | None:
    """(what is wrong, the fix) for one field, or None when it will do."""
    where = f"{need.sobject}.{need.name}"
    kind = f"{need.type}{f'({need.length})' if need.length else ''}" if need.type else "a field"
    if described is None:
        # describe hides a field the user may not read: missing and invisible look the same, and Prepare fixes both
        return (f"{where} does not exist (or the integration user cannot see it).",
                f"{PREPARE}, or create it as {kind} in Setup → Object Manager → {need.sobject} → Fields & "
                "Relationships and grant the integration user access.")
    if need.type and described.get("type") not in COMPATIBLE_TYPES.get(need.type, {need.type}):
        return (f"{where} is of type {described.get('type')}; the flows store {need.type} values there.",
                f"Change its type to {need.type} in Setup → Object Manager → {need.sobject} (Prepare never changes "
                "an existing field).")
    if need.length and described.get("type") in ("string", "textarea") and (described.get("length") or 0) < need.length:
        return (f"{where} holds {described.get('length')} characters; the flows write up to {need.length}.",
                f"Make it at least {need.length} long in Setup → Object Manager → {need.sobject}.")
    if need.picklist:
        values = {str(v.get("value", "")).lower() for v in described.get("picklistValues") or []}
        missing = [v for v in need.picklist if v.lower() not in values]
        if missing and described.get("type") == "picklist":
            return (f"{where} lacks the picklist values {', '.join(missing)}, which the flows write.",
                    f"Add them to the field in Setup → Object Manager → {need.sobject}.")
    if need.match and not (described.get("externalId") and described.get("unique")):
        return (f"{where} is not {'an external id' if not described.get('externalId') else 'unique'}; the flows find "
                f"records by it.", f"Tick External ID and Unique on the field in Setup → Object Manager → {need.sobject}.")
    if need.write and not (described.get("createable") and described.get("updateable")):
        return (f"{where} is read-only for the integration user; the flows write it.",
                f"{PREPARE}, or grant Edit on the field to the integration user's permission set.")
    return None


def declared_fields(needs: Needs) -> None:
    """Add the custom fields declared for the flows' kinds (custom_fields.py, what Prepare creates)."""
    for spec in custom_fields_for(needs.flow_kinds):
        flow = next(needs.flow_kinds[k] for k in spec.flows if k in needs.flow_kinds)
        needs.field_add(SalesforceField(spec.sobject, spec.name, spec.describe_type, spec.length or 0, spec.label,
                                        match=spec.external_id, unique=spec.unique, picklist=spec.picklist),
                        f"flow {flow}")


def fields_check(client: SalesforceClient, connection: Connection, needs: Needs) -> list[CheckResult]:
    declared_fields(needs)
    by_object: dict[str, list[tuple[SalesforceField, str]]] = {}
    for need, used_by in needs.salesforce_fields.values():
        by_object.setdefault(need.sobject, []).append((need, used_by))
    results = []
    for sobject, wanted in sorted(by_object.items()):
        try:
            fields = {f["name"].lower(): f for f in client.describe(sobject).get("fields", [])}
        except SyncError as exc:
            results.append(check_fail(f"Fields on {sobject}", f"Describing {sobject} failed: {exc.message}",
                                      "Give the integration user access to the object (its profile or permission set)."))
            continue
        ok = []
        for need, used_by in sorted(wanted, key=lambda w: w[0].name):
            problem = _field_problems(need, fields.get(need.name.lower()))
            if problem is None:
                ok.append(need.name)
            else:
                results.append(check_fail(f"Field {sobject}.{need.name}", f"{problem[0]} ({used_by} needs it.)",
                                          problem[1], url=_prepare_link(connection)))
        if ok:
            results.append(check_pass(f"Fields on {sobject}", f"{', '.join(ok)}: present, of a compatible type and "
                                                              "writable where the flows write."))
    return results


def change_events_check(connection: Connection, needs: Needs) -> list[CheckResult]:
    results = []
    for entity, flow in sorted(needs.change_events.items()):
        channel = change_event_channel(entity)
        answer = topic_get(connection=connection, topic_name=channel)
        name = f"Change Data Capture: {entity}"
        if answer.ok:
            results.append(check_pass(name, f"{channel} can be subscribed to."))
        elif answer.code in ("NOT_FOUND", "PERMISSION_DENIED"):
            results.append(check_fail(name, f"{channel} is not available ({answer.code}: {answer.detail}); flow {flow} "
                                            "reads these change events.",
                                      f"Select {entity} in Setup → Integrations → Change Data Capture, and give the "
                                      "integration user the View All Data or View All for the object."))
        else:
            results.append(check_fail(name, f"Pub/Sub did not answer for {channel} ({answer.code}: {answer.detail}).",
                                      "Check the connection's pubsub_endpoint setting and that the server reaches "
                                      "api.pubsub.salesforce.com:7443.", blocking=False))
    return results


def budget_check(client: SalesforceClient) -> CheckResult:
    try:
        daily = client.limits().get("DailyApiRequests") or {}
    except SyncError as exc:
        return check_warning("Daily API budget", f"Reading /limits failed: {exc.message}")
    maximum, remaining = daily.get("Max"), daily.get("Remaining")
    if not maximum:
        return check_warning("Daily API budget", "Salesforce did not report the daily API budget.")
    sentence = f"{remaining} of {maximum} daily API requests left."
    if remaining is not None and remaining < maximum * BUDGET_WARNING_SHARE:
        return check_warning("Daily API budget", sentence + " Backfills and polls may pause when it runs out.",
                             "Wait for the 24-hour window to move on, or buy more API calls.")
    return check_pass("Daily API budget", sentence)


def salesforce_preflight_checks(*, connection: Connection, needs: Needs) -> list[CheckResult]:
    client = SalesforceClient(connection, urgent=True)
    identity, who = identity_check(client, connection)
    if who is None:
        return [identity]
    return [identity, *fields_check(client, connection, needs), *change_events_check(connection, needs), budget_check(client)]

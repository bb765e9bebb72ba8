"""*Prepare Salesforce*: create in the org what our flows need and it lacks — the custom
fields of custom_fields.py (Tooling API CustomField) and a permission set granting the
integration user access to them (PermissionSet, FieldPermissions, PermissionSetAssignment).

``salesforce_prepare(connection, dry_run=True)`` only reads and returns the plan: exactly
what would be created. With ``dry_run=False`` it creates that and nothing else. It never
changes or deletes a field that exists: one whose type or attributes differ from the
declaration is reported (the admin decides), not touched, not granted.

Existence comes from the Tooling API (a field the integration user cannot see is still
there), type and access from describe (what the user sees).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.custom_fields import (
    PERMISSION_SET_LABEL,
    PERMISSION_SET_NAME,
    CustomFieldSpec,
    custom_fields_for,
)
from integrations.connectors.salesforce.soql import soql_format
from integrations.errors import SyncError
from integrations.models import Connection


@dataclass
class Mismatch:
    spec: CustomFieldSpec
    reason: str


@dataclass
class PreparePlan:
    """What Prepare found and (dry run) will do, or (applied) did."""

    dry_run: bool
    user_id: str = ""
    username: str = ""
    create: list[CustomFieldSpec] = field(default_factory=list)  # fields to create
    grant: list[CustomFieldSpec] = field(default_factory=list)  # fields the permission set must grant
    ready: list[CustomFieldSpec] = field(default_factory=list)  # exist, compatible, writable: nothing to do
    mismatches: list[Mismatch] = field(default_factory=list)  # exist but differ: reported, never touched
    permission_set_id: str = ""  # empty: it will be created
    read_only_grants: dict[str, str] = field(default_factory=dict)  # full name → FieldPermissions id to add Edit to
    access_needed: bool = False  # some field needs access through the permission set
    assigned: bool = False  # the integration user already holds the permission set
    done: list[str] = field(default_factory=list)  # applied: what was created, one line each
    errors: list[str] = field(default_factory=list)  # applied: what failed, one line each

    @property
    def nothing_to_do(self) -> bool:
        return not self.create and not self.grant and (not self.access_needed or self.assigned)

    def steps(self) -> list[str]:
        """One sentence per change, in the order they are made (the dry-run page lists these)."""
        lines = [f"Create field {spec.full_name} ({_type_text(spec)}, label \"{spec.label}\")" for spec in self.create]
        if self.access_needed and not self.permission_set_id:
            lines.append(f"Create permission set {PERMISSION_SET_NAME} (\"{PERMISSION_SET_LABEL}\")")
        lines += [f"Grant read and edit on {spec.full_name} in permission set {PERMISSION_SET_NAME}"
                  for spec in self.grant]
        if self.access_needed and not self.assigned:
            lines.append(f"Assign permission set {PERMISSION_SET_NAME} to the integration user "
                         f"{self.username or self.user_id}")
        return lines


def _type_text(spec: CustomFieldSpec) -> str:
    if spec.length:
        text = f"{spec.type}({spec.length})"
    elif spec.precision:
        text = f"{spec.type}({spec.precision}, {spec.scale or 0})"
    elif spec.picklist:
        text = f"{spec.type}: {', '.join(spec.picklist)}"
    else:
        text = spec.type
    extras = [word for word, on in (("external id", spec.external_id), ("unique", spec.unique)) if on]
    return f"{text}, {', '.join(extras)}" if extras else text


def salesforce_prepare(connection: Connection, *, dry_run: bool = True, flow_kinds=None) -> PreparePlan:
    """Plan (and unless ``dry_run``, make) what the org lacks for the declared custom fields."""
    client = SalesforceClient(connection, urgent=True)
    plan = _plan(client, dry_run=dry_run, specs=custom_fields_for(flow_kinds))
    if not dry_run:
        _apply(client, plan)
    return plan


def _plan(client: SalesforceClient, *, dry_run: bool, specs: list[CustomFieldSpec]) -> PreparePlan:
    identity = client.identity()
    plan = PreparePlan(dry_run=dry_run, user_id=identity.get("user_id", ""), username=identity.get("username", ""))
    objects = sorted({spec.sobject for spec in specs})
    existing = {(row["TableEnumOrId"].lower(), row["DeveloperName"].lower()) for row in client.tooling_query(
        soql_format("SELECT Id, DeveloperName, TableEnumOrId FROM CustomField WHERE TableEnumOrId IN {objects}",
                    objects=objects))}
    visible = {name: {f["name"].lower(): f for f in client.describe(name)["fields"]} for name in objects}
    for spec in specs:
        described = visible[spec.sobject].get(spec.name.lower())
        if (spec.sobject.lower(), spec.name[:-3].lower()) not in existing and described is None:
            plan.create.append(spec)
            plan.grant.append(spec)
        elif described is None:  # exists, but the integration user cannot see it: grant access
            plan.grant.append(spec)
        elif reason := _incompatible(spec, described):
            plan.mismatches.append(Mismatch(spec, reason))
        elif not (described.get("createable") and described.get("updateable")):
            plan.grant.append(spec)
        else:
            plan.ready.append(spec)
    plan.access_needed = bool(plan.grant)
    if plan.access_needed:
        _permission_set_find(client, plan)
    return plan


def _incompatible(spec: CustomFieldSpec, described: dict) -> str:
    """Why an existing field cannot hold what the flows write ("" when it can)."""
    if described.get("type") != spec.describe_type:
        return f"is {described.get('type')}, the flows need {spec.describe_type} ({spec.type})"
    if spec.length and (described.get("length") or 0) < spec.length:
        return f"holds {described.get('length')} characters, the flows write up to {spec.length}"
    if spec.external_id and not described.get("externalId"):
        return "is not an external id (the flows match on it)"
    if spec.unique and not described.get("unique"):
        return "is not unique (the flows match on it)"
    if spec.picklist:
        values = {v.get("value", "").lower() for v in described.get("picklistValues") or []}
        missing = [v for v in spec.picklist if v.lower() not in values]
        if missing:
            return f"lacks picklist values {', '.join(missing)}"
    return ""


def _permission_set_find(client: SalesforceClient, plan: PreparePlan) -> None:
    rows = client.query(soql_format("SELECT Id FROM PermissionSet WHERE Name = {name}", name=PERMISSION_SET_NAME))
    if not rows["records"]:
        return
    plan.permission_set_id = rows["records"][0]["Id"]
    granted = {row["Field"].lower(): row for row in client.query_all(soql_format(
        "SELECT Id, Field, PermissionsEdit FROM FieldPermissions WHERE ParentId = {ps}", ps=plan.permission_set_id))}
    plan.read_only_grants = {spec.full_name: granted[spec.full_name.lower()]["Id"] for spec in plan.grant
                             if spec.full_name.lower() in granted and not granted[spec.full_name.lower()]["PermissionsEdit"]}
    # Fields our set grants already need nothing but the assignment (a read-only grant gets Edit added).
    plan.grant = [spec for spec in plan.grant
                  if spec.full_name.lower() not in granted or spec.full_name in plan.read_only_grants]
    plan.assigned = bool(client.query(soql_format(
        "SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = {ps} AND AssigneeId = {user}",
        ps=plan.permission_set_id, user=plan.user_id))["records"])


def _apply(client: SalesforceClient, plan: PreparePlan) -> None:
    """Make the plan's changes in order; a failed step is recorded and its dependants skipped."""
    failed: set[str] = set()
    for spec in plan.create:
        try:
            field_id = client.tooling_create("CustomField", {"FullName": spec.full_name, "Metadata": spec.metadata()})
            plan.done.append(f"Created field {spec.full_name} ({field_id})")
        except SyncError as exc:
            failed.add(spec.full_name)
            plan.errors.append(f"{spec.full_name}: {exc.message}")
    grants = [spec for spec in plan.grant if spec.full_name not in failed]
    if not plan.access_needed or (plan.grant and not grants):  # nothing left to grant: every create failed
        return
    try:
        if not plan.permission_set_id:
            plan.permission_set_id = client.create("PermissionSet", {
                "Name": PERMISSION_SET_NAME, "Label": PERMISSION_SET_LABEL,
                "Description": "Read and edit on the custom fields Ledgerlink writes (created by Prepare Salesforce)."})
            plan.done.append(f"Created permission set {PERMISSION_SET_NAME} ({plan.permission_set_id})")
    except SyncError as exc:
        plan.errors.append(f"Permission set {PERMISSION_SET_NAME}: {exc.message}")
        return
    for spec in grants:
        try:
            if spec.full_name in plan.read_only_grants:  # our own set: add Edit to its read-only grant
                client.update("FieldPermissions", plan.read_only_grants[spec.full_name], {"PermissionsEdit": True})
            else:
                client.create("FieldPermissions", {"ParentId": plan.permission_set_id, "SobjectType": spec.sobject,
                                                   "Field": spec.full_name, "PermissionsRead": True,
                                                   "PermissionsEdit": True})
            plan.done.append(f"Granted read and edit on {spec.full_name}")
        except SyncError as exc:
            plan.errors.append(f"Field access {spec.full_name}: {exc.message}")
    if not plan.assigned:
        try:
            client.create("PermissionSetAssignment", {"AssigneeId": plan.user_id,
                                                      "PermissionSetId": plan.permission_set_id})
            plan.assigned = True
            plan.done.append(f"Assigned {PERMISSION_SET_NAME} to {plan.username or plan.user_id}")
        except SyncError as exc:
            plan.errors.append(f"Assignment of {PERMISSION_SET_NAME}: {exc.message}")

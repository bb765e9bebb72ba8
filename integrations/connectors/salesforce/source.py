"""The declared custom fields (custom_fields.py) as Salesforce source, for admins who deploy
with the Salesforce CLI (``sf project deploy start`` in ``salesforce/``): one
``objects/<Object>/fields/<Field>.field-meta.xml`` per field, the permission set granting
read and edit on them, and the project file. Generated, never edited by hand:
``manage.py salesforce_source_export`` writes it, a test keeps the committed copy equal.
"""
from __future__ import annotations

import json
from xml.sax.saxutils import escape

from integrations.connectors.salesforce.custom_fields import (
    CUSTOM_FIELDS,
    PERMISSION_SET_LABEL,
    PERMISSION_SET_NAME,
    CustomFieldSpec,
)

HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
NAMESPACE = "http://soap.sforce.com/2006/04/metadata"
ROOT = "force-app/main/default"
SOURCE_API_VERSION = "62.0"


def _element(name: str, value, indent: int = 1) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else escape(str(value))
    return f"{'    ' * indent}<{name}>{text}</{name}>\n"


def field_xml(spec: CustomFieldSpec) -> str:
    parts = {"fullName": spec.name, "description": spec.description, "externalId": spec.external_id,
             "label": spec.label, "required": False, "trackTrending": False, "type": spec.type}
    if spec.length is not None:
        parts["length"] = spec.length
    if spec.precision is not None:
        parts["precision"], parts["scale"] = spec.precision, spec.scale or 0
    if spec.type == "Text":
        parts["unique"], parts["caseSensitive"] = spec.unique, False
    body = "".join(_element(name, parts[name]) for name in sorted(parts, key=_order))
    if spec.picklist:
        values = "".join(f"            <value>\n{_element('fullName', v, 4)}{_element('default', False, 4)}"
                         f"{_element('label', v, 4)}            </value>\n" for v in spec.picklist)
        body += (f"    <valueSet>\n{_element('restricted', True, 2)}        <valueSetDefinition>\n"
                 f"{_element('sorted', False, 3)}{values}        </valueSetDefinition>\n    </valueSet>\n")
    return f'{HEADER}<CustomField xmlns="{NAMESPACE}">\n{body}</CustomField>\n'


def _order(name: str) -> tuple:
    return (name != "fullName", name)  # fullName first, the rest alphabetical (as the CLI retrieves them)


def permission_set_xml(specs) -> str:
    grants = "".join(f"    <fieldPermissions>\n{_element('editable', True, 2)}{_element('field', s.full_name, 2)}"
                     f"{_element('readable', True, 2)}    </fieldPermissions>\n"
                     for s in sorted(specs, key=lambda s: s.full_name))
    return (f'{HEADER}<PermissionSet xmlns="{NAMESPACE}">\n'
            f"{_element('description', 'Read and edit on the custom fields Ledgerlink writes.')}{grants}"
            f"{_element('hasActivationRequired', False)}{_element('label', PERMISSION_SET_LABEL)}</PermissionSet>\n")


def salesforce_source_files() -> dict[str, str]:
    """Relative path (under the ``salesforce/`` project) → file text."""
    files = {f"{ROOT}/objects/{s.sobject}/fields/{s.name}.field-meta.xml": field_xml(s) for s in CUSTOM_FIELDS}
    files[f"{ROOT}/permissionsets/{PERMISSION_SET_NAME}.permissionset-meta.xml"] = permission_set_xml(CUSTOM_FIELDS)
    files["sfdx-project.json"] = json.dumps({
        "packageDirectories": [{"path": "force-app", "default": True}], "name": "ledgerlink-salesforce",
        "namespace": "", "sourceApiVersion": SOURCE_API_VERSION}, indent=2) + "\n"
    return files

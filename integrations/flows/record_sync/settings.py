"""The generic record-sync flow's settings (flows/record_sync), declared once; see
flows/toolkit/settings.py. Source and target (connection, object), the trigger and the mapping
set are the Flow's own fields; everything else a flow of this kind does is here, as data."""
from __future__ import annotations

from integrations.flows.toolkit.settings import COMMON_SETTINGS, FIELD_OWNER_SETTINGS, Setting, SettingsSpec

POLICIES = ("both", "create_only", "update_only")
DELETES = ("ignore", "archive")

RECORD_SYNC_SETTINGS = COMMON_SETTINGS.extend(
    *FIELD_OWNER_SETTINGS,
    Setting("filter", "dict", default={},
            help="A condition on the source record (the mapping conditions' form, e.g. {\"field\": \"Status\", "
                 "\"op\": \"eq\", \"value\": \"Activated\"}); records not meeting it are skipped, saying so."),
    Setting("children", "list", default=[],
            help="Related lists read with the source record, for list mappings (Salesforce child relationships, "
                 "e.g. [\"OrderItems\"] for an Order's products)."),
    Setting("match", "list", default=[],
            help="After the link Ledgerlink keeps (always first): the rules to find an existing target record, in "
                 "order, each a list of target fields compared with the mapped values (one external-id field, or "
                 "several fields that must all be equal). Several candidates: a dead letter asks a person."),
    Setting("marker_field", "str", default="",
            help="A target field the source record's id is written to and looked up by before any create, so a "
                 "crash between the create and our commit finds the record instead of making a second."),
    Setting("policy", "choice", default="both", choices=POLICIES,
            help="create_only: never update a record that exists; update_only: never create one; both."),
    Setting("links", "dict", default={}, values=Setting("link", "dict", fields=SettingsSpec(
                Setting("from", "str", help="The source field holding the related record's id."),
                Setting("source_object", "str", help="That related record's object in the source system."),
                Setting("target_object", "str", help="Its counterpart's object in the target system."),
                Setting("when_missing", "choice", default="retry", choices=("retry", "skip", "blank"),
                        help="No counterpart linked yet: retry later (the flow linking them may not have run), "
                             "skip the record (it belongs to another demo or system), or leave the field blank."))),
            help="{target field: {from, source_object, target_object}}: a reference (a lookup, the client) set "
                 "to the target-side record Ledgerlink linked to the source's related record."),
    Setting("write_back", "dict", default={}, fields=SettingsSpec(
                Setting("field", "str", help="The source field written."),
                Setting("value", "str", default="id", help="\"id\", or the target field whose value is written.")),
            help="Writes the target record's id or number back to a source field after each create or update."),
    Setting("deletes", "choice", default="ignore", choices=DELETES,
            help="A deleted source record: ignore (the target is left as is), or archive its target where the "
                 "target system can archive."),
)

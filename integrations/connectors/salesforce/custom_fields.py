"""The Salesforce custom fields our flows read and write: one declaration, read by *Prepare
Salesforce* (creates what is missing through the Tooling API), by the pre-flight check
(compares it with describe) and by ``manage.py salesforce_source_export`` (the same fields as
Salesforce source, for admins who deploy with the Salesforce CLI).

Types and lengths match what the flows write (the default mapping sets and the handlers):
ids and numbers are FreshBooks ids (text, never numbers: leading zeros and future formats),
the payment status is the picklist the status value table maps to.
"""
from __future__ import annotations

from dataclasses import dataclass

# Metadata API field type → the type describe reports for it.
DESCRIBE_TYPES = {"Text": "string", "Currency": "currency", "Date": "date", "Picklist": "picklist",
                  "Number": "double", "Checkbox": "boolean", "LongTextArea": "textarea"}
# The permission set Prepare creates (and the source export ships) to grant field access.
PERMISSION_SET_NAME = "Ledgerlink_Integration"
PERMISSION_SET_LABEL = "Ledgerlink Integration"


@dataclass(frozen=True)
class CustomFieldSpec:
    sobject: str  # e.g. "Opportunity"
    name: str  # API name with __c, e.g. "FreshBooks_Invoice_Id__c"
    type: str  # Metadata API type: Text, Currency, Date, Picklist, …
    label: str
    description: str
    flows: tuple[str, ...]  # flow kinds that read or write it
    length: int | None = None  # Text
    precision: int | None = None  # Currency / Number: total digits
    scale: int | None = None  # Currency / Number: digits after the point
    external_id: bool = False  # matched on: indexed, usable in upserts by external id
    unique: bool = False
    picklist: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.sobject}.{self.name}"

    @property
    def describe_type(self) -> str:
        return DESCRIBE_TYPES[self.type]

    def metadata(self) -> dict:
        """The Tooling API ``Metadata`` of a CustomField (CustomFieldMetadata)."""
        meta: dict = {"type": self.type, "label": self.label, "description": self.description}
        if self.length is not None:
            meta["length"] = self.length
        if self.precision is not None:
            meta["precision"], meta["scale"] = self.precision, self.scale or 0
        if self.external_id:
            meta["externalId"] = True
        if self.unique:
            meta["unique"] = True
        if self.picklist:
            meta["valueSet"] = {"restricted": True, "valueSetDefinition": {"sorted": False, "value": [
                {"fullName": value, "label": value, "default": False} for value in self.picklist]}}
        return meta


ACCOUNT_CLIENT = "salesforce-account-to-freshbooks-client"
CLIENT_ACCOUNT = "freshbooks-client-to-salesforce-account"
OPPORTUNITY_INVOICE = "salesforce-opportunity-to-freshbooks-invoice"
PAYMENT_OPPORTUNITY = "freshbooks-payment-to-salesforce-opportunity"
PAYMENT_STATUSES = ("Unpaid", "Partial", "Paid")

CUSTOM_FIELDS: tuple[CustomFieldSpec, ...] = (
    CustomFieldSpec("Account", "FreshBooks_Client_Id__c", "Text", "FreshBooks Client Id",
                    "The FreshBooks client this Account is linked to (written by Ledgerlink; matched on).",
                    (ACCOUNT_CLIENT, CLIENT_ACCOUNT, OPPORTUNITY_INVOICE), length=50, external_id=True, unique=True),
    CustomFieldSpec("Opportunity", "FreshBooks_Invoice_Id__c", "Text", "FreshBooks Invoice Id",
                    "The FreshBooks invoice made from this Opportunity (written by Ledgerlink; matched on).",
                    (OPPORTUNITY_INVOICE, PAYMENT_OPPORTUNITY), length=50),
    CustomFieldSpec("Opportunity", "FreshBooks_Invoice_Number__c", "Text", "FreshBooks Invoice Number",
                    "The FreshBooks invoice number (written by Ledgerlink).", (OPPORTUNITY_INVOICE,), length=50),
    CustomFieldSpec("Opportunity", "Payment_Status__c", "Picklist", "Payment Status",
                    "Unpaid, Partial or Paid, from the FreshBooks invoice (written by Ledgerlink).",
                    (PAYMENT_OPPORTUNITY,), picklist=PAYMENT_STATUSES),
    CustomFieldSpec("Opportunity", "Amount_Paid__c", "Currency", "Amount Paid",
                    "Paid so far on the FreshBooks invoice (written by Ledgerlink).", (PAYMENT_OPPORTUNITY,),
                    precision=16, scale=2),
    CustomFieldSpec("Opportunity", "Date_Paid__c", "Date", "Date Paid",
                    "When the FreshBooks invoice was paid in full (written by Ledgerlink).", (PAYMENT_OPPORTUNITY,)),
)


def custom_fields_for(flow_kinds=None) -> list[CustomFieldSpec]:
    """The declared fields the given flow kinds need (all of them when ``flow_kinds`` is None)."""
    if flow_kinds is None:
        return list(CUSTOM_FIELDS)
    wanted = set(flow_kinds)
    return [spec for spec in CUSTOM_FIELDS if wanted & set(spec.flows)]


def custom_field_get(sobject: str, name: str) -> CustomFieldSpec | None:
    for spec in CUSTOM_FIELDS:
        if spec.sobject.lower() == sobject.lower() and spec.name.lower() == name.lower():
            return spec
    return None

"""The simulated org's objects and fields: what describe returns, what SOQL may name, and
what writes may set. Field order is describe order (and the CDC bitmap order).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # id string textarea email phone url picklist boolean currency double percent int date datetime reference
    length: int = 0
    required: bool = False  # required on create (nillable=False and no default)
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    reference_to: str = ""
    relationship_name: str = ""
    external_id: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()
    label: str = ""
    precision: int = 0  # currency / double / percent: total digits (custom fields)
    scale: int = 0


@dataclass(frozen=True)
class ChildRelationship:
    name: str  # e.g. OpportunityLineItems
    child: str  # e.g. OpportunityLineItem
    field: str  # e.g. OpportunityId


@dataclass
class SObject:
    name: str
    key_prefix: str
    fields: list[Field]
    children: list[ChildRelationship] = field(default_factory=list)
    createable: bool = True
    hard_delete: bool = False  # OpportunityLineItem skips the recycle bin
    label: str = ""

    def field(self, name: str) -> Field | None:
        return self._by_lower().get(name.lower())

    def child(self, name: str) -> ChildRelationship | None:
        return {c.name.lower(): c for c in self.children}.get(name.lower())

    def parent_field(self, relationship: str) -> Field | None:
        """The reference field behind a parent relationship name (Account → AccountId)."""
        for f in self.fields:
            if f.relationship_name and f.relationship_name.lower() == relationship.lower():
                return f
        return None

    def _by_lower(self) -> dict[str, Field]:
        cache = self.__dict__.get("_lower")
        if cache is None:
            cache = self.__dict__["_lower"] = {f.name.lower(): f for f in self.fields}
        return cache


def _system(owner: bool = True) -> list[Field]:
    ro = dict(createable=False, updateable=False)
    fields = [
        Field("Id", "id", 18, nillable=False, **ro),
        Field("IsDeleted", "boolean", nillable=False, **ro),
        Field("CreatedDate", "datetime", nillable=False, **ro),
        Field("CreatedById", "reference", 18, reference_to="User", nillable=False, **ro),
        Field("LastModifiedDate", "datetime", nillable=False, **ro),
        Field("LastModifiedById", "reference", 18, reference_to="User", nillable=False, **ro),
        Field("SystemModstamp", "datetime", nillable=False, **ro),
    ]
    if owner:
        fields.append(Field("OwnerId", "reference", 18, reference_to="User", relationship_name="Owner"))
    return fields


def _address(prefix: str) -> list[Field]:
    return [Field(f"{prefix}Street", "textarea", 255), Field(f"{prefix}City", "string", 40),
            Field(f"{prefix}State", "string", 80), Field(f"{prefix}PostalCode", "string", 20),
            Field(f"{prefix}Country", "string", 80)]


RO = dict(createable=False, updateable=False)
CREATE_ONLY = dict(updateable=False)
PAYMENT_STATUSES = ("Unpaid", "Partial", "Paid")
ORDER_STATUSES = ("Draft", "Activated")
INVOICE_STATUSES = ("draft", "sent", "viewed", "partial", "paid", "overdue", "disputed", "outstanding")
CURRENCY = Field("CurrencyIsoCode", "picklist", 3, picklist=("USD", "EUR", "GBP", "CAD"))


def _objects() -> dict[str, SObject]:
    objs = [
        SObject("Account", "001", [
            *_system(), Field("Name", "string", 255, required=True), Field("Type", "picklist", 255,
            picklist=("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")),
            Field("Phone", "phone", 40), Field("Website", "url", 255), *_address("Billing"), *_address("Shipping"),
            Field("Description", "textarea", 32000),
            Field("FreshBooks_Client_Id__c", "string", 50, external_id=True, unique=True, label="FreshBooks Client Id"),
        ], [ChildRelationship("Contacts", "Contact", "AccountId"),
            ChildRelationship("Opportunities", "Opportunity", "AccountId")]),
        SObject("Contact", "003", [
            *_system(), Field("FirstName", "string", 40), Field("LastName", "string", 80, required=True),
            Field("Name", "string", 121, **RO), Field("Email", "email", 80), Field("Phone", "phone", 40),
            Field("Title", "string", 128),
            # Not unique on purpose: an external id that can match several records (upsert 300).
            Field("FreshBooks_Contact_Id__c", "string", 50, external_id=True, label="FreshBooks Contact Id"),
            Field("AccountId", "reference", 18, reference_to="Account", relationship_name="Account"),
            *_address("Mailing"),
        ], [ChildRelationship("OpportunityContactRoles", "OpportunityContactRole", "ContactId")]),
        SObject("Opportunity", "006", [
            *_system(), Field("Name", "string", 120, required=True),
            Field("AccountId", "reference", 18, reference_to="Account", relationship_name="Account"),
            Field("StageName", "picklist", 255, required=True), Field("CloseDate", "date", required=True),
            Field("Amount", "currency"), Field("Probability", "percent"),
            Field("ExpectedRevenue", "currency", **RO),
            Field("ForecastCategoryName", "picklist", 40, picklist=("Omitted", "Pipeline", "Best Case", "Commit", "Closed")),
            Field("IsClosed", "boolean", nillable=False, **RO), Field("IsWon", "boolean", nillable=False, **RO),
            Field("HasOpportunityLineItem", "boolean", nillable=False, **RO),
            Field("Pricebook2Id", "reference", 18, reference_to="Pricebook2", relationship_name="Pricebook2"),
            Field("ContactId", "reference", 18, reference_to="Contact", relationship_name="Contact", **CREATE_ONLY),
            Field("Type", "picklist", 255, picklist=("New Customer", "Existing Customer - Upgrade",
                                                     "Existing Customer - Replacement", "Existing Customer - Downgrade")),
            Field("LeadSource", "picklist", 255, picklist=("Web", "Phone Inquiry", "Partner Referral", "Other")),
            Field("NextStep", "string", 255), Field("Description", "textarea", 32000),
            Field("FreshBooks_Invoice_Id__c", "string", 50, label="FreshBooks Invoice Id"),
            Field("FreshBooks_Invoice_Number__c", "string", 50, label="FreshBooks Invoice Number"),
            Field("Payment_Status__c", "picklist", 255, picklist=PAYMENT_STATUSES, label="Payment Status"),
            Field("Amount_Paid__c", "currency", label="Amount Paid"), Field("Date_Paid__c", "date", label="Date Paid"),
        ], [ChildRelationship("OpportunityLineItems", "OpportunityLineItem", "OpportunityId"),
            ChildRelationship("OpportunityContactRoles", "OpportunityContactRole", "OpportunityId")]),
        SObject("OpportunityLineItem", "00k", [
            *_system(owner=False),
            Field("OpportunityId", "reference", 18, required=True, reference_to="Opportunity",
                  relationship_name="Opportunity", **CREATE_ONLY),
            Field("PricebookEntryId", "reference", 18, required=True, reference_to="PricebookEntry",
                  relationship_name="PricebookEntry", **CREATE_ONLY),
            Field("Product2Id", "reference", 18, reference_to="Product2", relationship_name="Product2", **RO),
            Field("Name", "string", 376, **RO), Field("ProductCode", "string", 255, **RO),
            Field("Quantity", "double", required=True), Field("UnitPrice", "currency"), Field("TotalPrice", "currency"),
            Field("ListPrice", "currency", **RO), Field("Subtotal", "currency", **RO), Field("Discount", "percent"),
            Field("Description", "string", 255), Field("ServiceDate", "date"), Field("SortOrder", "int"),
        ], hard_delete=True),
        SObject("OpportunityContactRole", "00K", [
            *_system(owner=False),
            Field("OpportunityId", "reference", 18, required=True, reference_to="Opportunity",
                  relationship_name="Opportunity", **CREATE_ONLY),
            Field("ContactId", "reference", 18, required=True, reference_to="Contact", relationship_name="Contact"),
            Field("IsPrimary", "boolean", nillable=False),
            Field("Role", "picklist", 40, picklist=("Business User", "Decision Maker", "Economic Buyer",
                                                    "Economic Decision Maker", "Evaluator", "Executive Sponsor",
                                                    "Influencer", "Technical Buyer", "Other")),
        ]),
        # Orders: Status "Activated" is the moment an order is booked (Draft → Activated).
        SObject("Order", "801", [
            *_system(), Field("AccountId", "reference", 18, required=True, reference_to="Account",
                              relationship_name="Account"),
            Field("Status", "picklist", 40, required=True, picklist=ORDER_STATUSES),
            Field("EffectiveDate", "date", required=True), Field("EndDate", "date"),
            Field("OrderNumber", "string", 30, **RO), Field("Name", "string", 80),
            Field("PoNumber", "string", 80), Field("Description", "textarea", 32000),
            Field("TotalAmount", "currency", **RO),
            Field("Pricebook2Id", "reference", 18, reference_to="Pricebook2", relationship_name="Pricebook2"),
            *_address("Billing"),
            Field("FreshBooks_Invoice_Id__c", "string", 50, external_id=True, label="FreshBooks Invoice Id"),
            Field("FreshBooks_Invoice_Number__c", "string", 50, label="FreshBooks Invoice Number"),
        ], [ChildRelationship("OrderItems", "OrderItem", "OrderId")], label="Order"),
        SObject("OrderItem", "802", [
            *_system(owner=False),
            Field("OrderId", "reference", 18, required=True, reference_to="Order", relationship_name="Order",
                  **CREATE_ONLY),
            Field("PricebookEntryId", "reference", 18, reference_to="PricebookEntry",
                  relationship_name="PricebookEntry", **CREATE_ONLY),
            Field("Product2Id", "reference", 18, reference_to="Product2", relationship_name="Product2", **RO),
            Field("Quantity", "double", required=True), Field("UnitPrice", "currency", required=True),
            Field("TotalPrice", "currency", **RO), Field("Description", "string", 255),
            Field("OrderItemNumber", "string", 30, **RO),
        ], label="Order Product"),
        # The custom object the demo creates (a FreshBooks invoice as a record of the Account).
        SObject("FreshBooks_Invoice__c", "a0F", [
            *_system(), Field("Name", "string", 80, required=True, label="Invoice Number"),
            Field("Account__c", "reference", 18, reference_to="Account", relationship_name="Account__r",
                  label="Account"),
            Field("Status__c", "picklist", 40, picklist=INVOICE_STATUSES, label="Status"),
            Field("Total__c", "currency", label="Total", precision=16, scale=2),
            Field("Outstanding__c", "currency", label="Outstanding", precision=16, scale=2),
            Field("Currency__c", "string", 3, label="Currency"),
            Field("Issue_Date__c", "date", label="Issue Date"),
            Field("Link__c", "url", 255, label="Link"),
            Field("FreshBooks_Invoice_Id__c", "string", 50, external_id=True, unique=True,
                  label="FreshBooks Invoice Id"),
        ], label="FreshBooks Invoice"),
        SObject("Product2", "01t", [
            *_system(owner=False), Field("Name", "string", 255, required=True), Field("ProductCode", "string", 255),
            Field("Description", "textarea", 4000), Field("IsActive", "boolean", nillable=False),
            Field("Family", "picklist", 255, picklist=("Hardware", "Software", "Services", "None")),
        ]),
        SObject("Pricebook2", "01s", [
            *_system(owner=False), Field("Name", "string", 255, required=True), Field("IsActive", "boolean", nillable=False),
            Field("IsStandard", "boolean", nillable=False, **RO), Field("Description", "string", 255),
        ]),
        SObject("PricebookEntry", "01u", [
            *_system(owner=False),
            Field("Pricebook2Id", "reference", 18, required=True, reference_to="Pricebook2",
                  relationship_name="Pricebook2", **CREATE_ONLY),
            Field("Product2Id", "reference", 18, required=True, reference_to="Product2",
                  relationship_name="Product2", **CREATE_ONLY),
            Field("UnitPrice", "currency", required=True), Field("IsActive", "boolean", nillable=False),
            Field("UseStandardPrice", "boolean", nillable=False), Field("Name", "string", 255, **RO),
            Field("ProductCode", "string", 255, **RO),
        ]),
        SObject("OpportunityStage", "01J", [
            Field("Id", "id", 18, nillable=False, **RO), Field("MasterLabel", "string", 255, **RO),
            Field("ApiName", "string", 255, **RO), Field("IsActive", "boolean", **RO),
            Field("IsClosed", "boolean", **RO), Field("IsWon", "boolean", **RO),
            Field("DefaultProbability", "percent", **RO), Field("ForecastCategoryName", "string", 40, **RO),
            Field("SortOrder", "int", **RO), Field("SystemModstamp", "datetime", **RO),
        ], createable=False),
        # Field-level security as data (setup objects, plain sObject API): a permission set,
        # the field access it grants, and who holds it. security.py applies them.
        SObject("PermissionSet", "0PS", [
            *_system(owner=False), Field("Name", "string", 80, required=True, **CREATE_ONLY),
            Field("Label", "string", 80, required=True), Field("Description", "string", 255),
            Field("IsOwnedByProfile", "boolean", nillable=False, **RO),
        ], label="Permission Set"),
        SObject("FieldPermissions", "01k", [
            *_system(owner=False),
            Field("ParentId", "reference", 18, required=True, reference_to="PermissionSet", relationship_name="Parent",
                  **CREATE_ONLY),
            Field("SobjectType", "string", 40, required=True, **CREATE_ONLY),
            Field("Field", "string", 100, required=True, **CREATE_ONLY),
            Field("PermissionsRead", "boolean", nillable=False), Field("PermissionsEdit", "boolean", nillable=False),
        ], label="Field Permissions"),
        SObject("PermissionSetAssignment", "0Pa", [
            *_system(owner=False),
            Field("AssigneeId", "reference", 18, required=True, reference_to="User", relationship_name="Assignee",
                  **CREATE_ONLY),
            Field("PermissionSetId", "reference", 18, required=True, reference_to="PermissionSet",
                  relationship_name="PermissionSet", **CREATE_ONLY),
        ], label="Permission Set Assignment"),
        SObject("User", "005", [
            Field("Id", "id", 18, nillable=False, **RO), Field("Username", "string", 80, **RO),
            Field("Name", "string", 121, **RO), Field("Email", "email", 128, **RO),
            Field("IsActive", "boolean", **RO), Field("SystemModstamp", "datetime", **RO),
        ], createable=False),
    ]
    return {o.name.lower(): o for o in objs}


OBJECTS = _objects()
PREFIXES = {o.key_prefix: o.name for o in OBJECTS.values()}
# Objects the simulator emits change events for (CDC-enabled entities).
CDC_OBJECTS = {"Account", "Contact", "Opportunity", "OpportunityLineItem", "OpportunityContactRole", "Product2",
               "Order", "OrderItem", "FreshBooks_Invoice__c"}
# Objects that take custom fields (through the Tooling API) in the simulated org.
# Order and OrderItem are not listed: their custom fields and the custom object FreshBooks_Invoice__c
# are part of the simulated org as it comes (Ledgerlink's Prepare does not create them; the
# generic flows using them are configuration an admin sets up on a real org).
CUSTOMIZABLE = {"Account", "Contact", "Opportunity", "OpportunityLineItem", "Product2"}


def sobject_get(name: str, *, multi_currency: bool = False) -> SObject | None:
    obj = OBJECTS.get(name.lower())
    if obj is None or not multi_currency or obj.name in NO_CURRENCY:
        return obj
    return _with_currency(obj)


def _with_currency(obj: SObject) -> SObject:
    """Multi-currency orgs have CurrencyIsoCode on every record-bearing object."""
    cached = _CURRENCY_CACHE.get(obj.name)
    if cached is None:
        fields = list(obj.fields)
        if obj.name == "OpportunityLineItem":
            fields.append(Field("CurrencyIsoCode", "picklist", 3, picklist=CURRENCY.picklist, **RO))
        else:
            fields.append(CURRENCY)
        cached = _CURRENCY_CACHE[obj.name] = SObject(obj.name, obj.key_prefix, fields, obj.children,
                                                     obj.createable, obj.hard_delete, obj.label)
    return cached


_CURRENCY_CACHE: dict[str, SObject] = {}
NO_CURRENCY = {"User", "OpportunityStage", "Product2", "PermissionSet", "FieldPermissions", "PermissionSetAssignment"}


def is_custom(field: Field) -> bool:
    return field.name.endswith("__c")

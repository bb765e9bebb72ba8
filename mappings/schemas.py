"""Known record shapes of the systems Ledgerlink talks to (from the API references).

Used to check target fields on save, to propose field pairs (suggestions), and to show an
admin what a record looks like. Field names are exactly the APIs': FreshBooks client
`organization`/`fname`/`p_street`, Salesforce `Account.Name`/`BillingStreet`, M3 `CUNM`/`CUA1`.
A schema marked `open` also accepts fields it does not list (Salesforce custom fields `…__c`).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: str  # text, email, phone, decimal, int, bool, date, datetime, money, code, id, list, object
    max_length: int | None = None
    required: bool = False
    example: object = None
    children: dict = field(default_factory=dict)  # for list/object fields: name → SchemaField


@dataclass(frozen=True)
class Schema:
    system: str
    object: str
    fields: dict
    open_suffix: str = ""  # e.g. "__c": custom fields allowed

    def field_at(self, path: str) -> SchemaField | None:
        """The field for a dotted path like 'lines.unit_cost' or 'OpportunityLineItems.records.Quantity'."""
        fields, found = self.fields, None
        for part in [p.split("[")[0] for p in path.split(".")]:
            if part == "records" and found is not None and found.type == "list":
                continue
            found = fields.get(part)
            if found is None:
                return None
            fields = found.children
        return found

    def accepts(self, path: str) -> bool:
        first = path.split(".")[0].split("[")[0]
        if self.open_suffix and first.endswith(self.open_suffix):
            return True
        top = self.fields.get(first)
        if top is None:
            return False
        rest = path.split(".")[1:]
        return not rest or not top.children or self.field_at(path) is not None

    def flat(self, prefix: str = "", fields: dict | None = None) -> list[tuple[str, SchemaField]]:
        """(path, field) for every scalar field, list children included with their list's path."""
        out = []
        for f in (self.fields if fields is None else fields).values():
            if f.children and f.type == "object":
                out.extend(self.flat(f"{prefix}{f.name}.", f.children))
            elif not f.children:
                out.append((f"{prefix}{f.name}", f))
        return out


def _f(name, type_="text", max_length=None, required=False, example=None, children=None):
    return SchemaField(name, type_, max_length, required, example, {c.name: c for c in (children or [])})


def _schema(system, obj, fields, open_suffix=""):
    return Schema(system, obj, {f.name: f for f in fields}, open_suffix)


MONEY = [_f("amount", "decimal", example="27.00"), _f("code", "code", 3, example="USD")]

FRESHBOOKS_CLIENT = _schema("freshbooks", "client", [
    _f("id", "id", example=12345), _f("organization", example="American Cyanamid"),
    _f("fname", example="Gordon"), _f("lname", example="Shumway"),
    _f("email", "email", example="gordon.shumway@americancyanamid.com"),
    _f("bus_phone", "phone", example="416-555-0100"), _f("mob_phone", "phone"), _f("home_phone", "phone"), _f("fax", "phone"),
    _f("p_street", example="123 Huron St"), _f("p_street2"), _f("p_city", example="Toronto"),
    _f("p_province", example="ON"), _f("p_code", example="M5T 2B3"), _f("p_country", example="Canada"),
    _f("s_street"), _f("s_street2"), _f("s_city"), _f("s_province"), _f("s_code"), _f("s_country"),
    _f("currency_code", "code", 3, example="CAD"), _f("language", "code", example="en"), _f("note"),
    _f("vat_name"), _f("vat_number"), _f("accounting_systemid", "id"), _f("updated", "datetime"),
    _f("signup_date", "datetime"), _f("vis_state", "int"),
])
FRESHBOOKS_INVOICE_LINE = [
    _f("name", required=True, example="Bowls"), _f("description", example="Melmac melamine resin dinnerware"),
    _f("qty", "decimal", example="4"), _f("unit_cost", "money", children=MONEY), _f("amount", "money", children=MONEY),
    _f("type", "int", example=0), _f("taxName1"), _f("taxAmount1", "decimal"), _f("taxName2"), _f("taxAmount2", "decimal"),
]
FRESHBOOKS_INVOICE = _schema("freshbooks", "invoice", [
    _f("id", "id"), _f("invoiceid", "id"), _f("invoice_number", example="0000001"),
    _f("customerid", "id", required=True, example=12345), _f("create_date", "date", required=True, example="2021-04-16"),
    _f("due_offset_days", "int", example=30), _f("due_date", "date"), _f("currency_code", "code", 3, example="USD"),
    _f("po_number"), _f("notes"), _f("terms"), _f("description"), _f("organization"), _f("fname"), _f("lname"),
    _f("street"), _f("street2"), _f("city"), _f("province"), _f("code"), _f("country"),
    _f("status", "int", example=2), _f("v3_status", "code", example="partial"), _f("payment_status", "code", example="partial"),
    _f("display_status", "code"), _f("amount", "money", children=MONEY), _f("paid", "money", children=MONEY),
    _f("outstanding", "money", children=MONEY), _f("date_paid", "date"), _f("discount_value", "decimal"),
    _f("action_mark_as_sent", "bool"), _f("lines", "list", children=FRESHBOOKS_INVOICE_LINE),
    _f("updated", "datetime"), _f("vis_state", "int"),
])
FRESHBOOKS_PAYMENT = _schema("freshbooks", "payment", [
    _f("id", "id"), _f("invoiceid", "id", required=True), _f("clientid", "id"), _f("amount", "money", children=MONEY),
    _f("date", "date", example="2021-04-16"), _f("type", "code", example="Check"), _f("gateway", "code"),
    _f("note"), _f("transactionid"), _f("updated", "datetime"), _f("vis_state", "int"),
])
FRESHBOOKS_EXPENSE = _schema("freshbooks", "expense", [
    _f("id", "id"), _f("expenseid", "id"), _f("amount", "money", children=MONEY), _f("categoryid", "id", example=654654),
    _f("category_name", example="Meals and Entertainment"), _f("date", "date", example="2021-07-19"), _f("staffid", "id"),
    _f("vendor", example="Serano Bakery"), _f("notes", example="For lunch"), _f("taxName1"),
    _f("taxAmount1", "money", children=MONEY), _f("clientid", "id"), _f("updated", "datetime"), _f("vis_state", "int"),
])

SF_ACCOUNT_FIELDS = [
    _f("Id", "id", example="001000000000001AAA"), _f("Name", required=True, example="American Cyanamid"),
    _f("BillingStreet", example="123 Huron St"), _f("BillingCity", example="Toronto"), _f("BillingState", example="ON"),
    _f("BillingPostalCode", example="M5T 2B3"), _f("BillingCountry", example="Canada"), _f("Phone", "phone"),
    _f("Website"), _f("Type"), _f("CurrencyIsoCode", "code", 3), _f("Description"), _f("SystemModstamp", "datetime"),
]
SF_CONTACT_FIELDS = [
    _f("Id", "id"), _f("FirstName", max_length=40, example="Gordon"), _f("LastName", max_length=80, required=True, example="Shumway"),
    _f("Email", "email", example="gordon.shumway@americancyanamid.com"), _f("Phone", "phone"), _f("AccountId", "id"),
    _f("MailingStreet"), _f("MailingCity"), _f("MailingState"), _f("MailingPostalCode"), _f("MailingCountry"),
    _f("SystemModstamp", "datetime"),
]
SF_LINE_FIELDS = [
    _f("Id", "id"), _f("OpportunityId", "id"), _f("PricebookEntryId", "id"), _f("Product2Id", "id"),
    _f("Name", max_length=376, example="GenWatt Diesel 200kW"), _f("ProductCode"), _f("Description", max_length=255),
    _f("Quantity", "decimal", example=2), _f("UnitPrice", "decimal", example=27.5), _f("TotalPrice", "decimal"),
    _f("ListPrice", "decimal"), _f("Discount", "decimal"), _f("ServiceDate", "date"), _f("SortOrder", "int"),
]
SALESFORCE_ACCOUNT = _schema("salesforce", "Account", SF_ACCOUNT_FIELDS + [
    _f("Contacts", "list", children=SF_CONTACT_FIELDS)], "__c")
SALESFORCE_CONTACT = _schema("salesforce", "Contact", SF_CONTACT_FIELDS + [
    _f("Account", "object", children=SF_ACCOUNT_FIELDS)], "__c")
SALESFORCE_OPPORTUNITY = _schema("salesforce", "Opportunity", [
    _f("Id", "id"), _f("Name", max_length=120, required=True, example="Dinnerware for Melmac"),
    _f("StageName", "code", required=True, example="Closed Won"), _f("CloseDate", "date", required=True, example="2021-04-16"),
    _f("Amount", "decimal", example=110), _f("CurrencyIsoCode", "code", 3), _f("AccountId", "id"), _f("ContactId", "id"),
    _f("IsClosed", "bool"), _f("IsWon", "bool"), _f("Description"), _f("Type"), _f("SystemModstamp", "datetime"),
    _f("Account", "object", children=SF_ACCOUNT_FIELDS),
    _f("OpportunityLineItems", "list", children=SF_LINE_FIELDS),
    _f("OpportunityContactRoles", "list", children=[
        _f("ContactId", "id"), _f("IsPrimary", "bool"), _f("Role"), _f("Contact", "object", children=SF_CONTACT_FIELDS)]),
], "__c")
SALESFORCE_LINE = _schema("salesforce", "OpportunityLineItem", SF_LINE_FIELDS, "__c")

INFOR_CUSTOMER = _schema("infor", "CRS610MI", [
    _f("CUNO", "id", 10, example="10001"), _f("CUTM", "code", 10, example="TMPL"), _f("CUNM", max_length=36, required=True, example="ACME"),
    _f("CUA1", max_length=36, required=True, example="Street 1"), _f("CUA2", max_length=36), _f("CUA3", max_length=36),
    _f("CUA4", max_length=36), _f("TOWN", max_length=40), _f("PONO", max_length=10), _f("CSCD", "code", 3), _f("ECAR", "code", 2),
    _f("PHNO", "phone", 16), _f("PHN2", "phone", 16), _f("TFNO", "phone", 16), _f("MAIL", "email", 50), _f("YREF", max_length=30),
    _f("CUTP", "int", 1), _f("STAT", "code", 2, example="20"), _f("CUCL", "code", 3, example="SMB"), _f("CUCD", "code", 3),
    _f("PYCD", "code", 3), _f("TEPY", "code", 3), _f("LNCD", "code", 2), _f("LMDT", "date"), _f("LMTS", "text", 18),
])
INFOR_ORDER_LINE = [
    _f("ITNO", "code", 15, required=True, example="A100"), _f("ORQT", "decimal", example="2"), _f("SAPR", "decimal", 18),
    _f("ITDS", max_length=30), _f("WHLO", "code", 3), _f("DWDT", "date"), _f("ALUN", "code", 3), _f("DIP1", "decimal"),
]
INFOR_SALES_ORDER = _schema("infor", "OIS100MI", [
    _f("CUNO", "id", 10, required=True), _f("ORTP", "code", 3), _f("FACI", "code", 3), _f("WHLO", "code", 3),
    _f("CUOR", max_length=20, example="0000001"), _f("ORDT", "date"), _f("RLDT", "date"), _f("CUCD", "code", 3),
    _f("TEPY", "code", 3), _f("PYCD", "code", 3), _f("YREF", max_length=30), _f("OREF", max_length=30),
    _f("ORNO", "id", 10), _f("ORSL", "code", 2, example="66"), _f("ORST", "code", 2, example="66"),
    _f("lines", "list", children=INFOR_ORDER_LINE),
])
INFOR_PAYMENT = _schema("infor", "ARS040MI", [
    _f("PBID", "id", 10), _f("BOPE", "code", 3), _f("TRNO", "int", 7), _f("CINO", "id", 15, required=True),
    _f("INYR", "int", 4, required=True), _f("CUNO", "id", 10, required=True), _f("PYAM", "decimal", 17, required=True),
    _f("PYNO", "id", 10), _f("PYTP", "code", 2), _f("CUCD", "code", 3), _f("ARAT", "decimal"), _f("LPDT", "date"),
    _f("CKNO", max_length=15), _f("CKST", "code"),
])
INFOR_GL_LINE = [
    _f("LINE", "int", 7), _f("INRI", "code", 2), _f("AIT1", "code", 8, example="6410"), _f("AIT2", "code", 8),
    _f("AIT3", "code", 8), _f("CUCD", "code", 3), _f("CUAM", "decimal", 17), _f("ACAM", "decimal", 17), _f("DBCR", "code", 1),
    _f("ACDT", "date"), _f("VTCD", "code", 2), _f("VTXT", max_length=40), _f("ARAT", "decimal"),
]
INFOR_GL_JOURNAL = _schema("infor", "GLS840MI", [
    _f("KEY1", "id", 15), _f("INTN", "code", 15), _f("DESC", max_length=40, required=True),
    _f("lines", "list", children=INFOR_GL_LINE),
])

ADDRESS = [_f("first_name"), _f("last_name"), _f("company"), _f("address1"), _f("address2"), _f("city"), _f("province"),
           _f("province_code"), _f("zip"), _f("country"), _f("country_code"), _f("phone"), _f("name")]
SHOPIFY_ORDER = _schema("shopify", "order", [
    _f("id", "id", example=820982911946154508), _f("name", example="#1001"), _f("order_number", "int"), _f("email", "email"),
    _f("created_at", "datetime"), _f("currency", "code", 3, example="USD"), _f("total_price", "decimal", example="59.99"),
    _f("subtotal_price", "decimal"), _f("total_tax", "decimal"), _f("financial_status", "code"), _f("note"),
    _f("gateway", "code"), _f("payment_gateway_names", "list"),
    _f("customer", "object", children=[_f("id", "id"), _f("email", "email"), _f("first_name"), _f("last_name"), _f("phone")]),
    _f("billing_address", "object", children=ADDRESS), _f("shipping_address", "object", children=ADDRESS),
    _f("line_items", "list", children=[_f("id", "id"), _f("title"), _f("name"), _f("sku", "code"), _f("quantity", "int"),
                                       _f("price", "decimal"), _f("total_discount", "decimal")]),
])
WOO_ADDRESS = [_f("first_name"), _f("last_name"), _f("company"), _f("email", "email"), _f("phone"), _f("address_1"),
               _f("address_2"), _f("city"), _f("state"), _f("postcode"), _f("country")]
WOOCOMMERCE_ORDER = _schema("woocommerce", "order", [
    _f("id", "id"), _f("number"), _f("status", "code"), _f("currency", "code", 3), _f("total", "decimal"), _f("total_tax", "decimal"),
    _f("date_created", "datetime"), _f("payment_method", "code"), _f("payment_method_title"), _f("customer_note"),
    _f("billing", "object", children=WOO_ADDRESS), _f("shipping", "object", children=WOO_ADDRESS),
    _f("line_items", "list", children=[_f("id", "id"), _f("name"), _f("product_id", "id"), _f("sku", "code"),
                                       _f("quantity", "int"), _f("price", "decimal"), _f("subtotal", "decimal"), _f("total", "decimal")]),
])

SCHEMAS: dict[tuple[str, str], Schema] = {
    (s.system, s.object): s
    for s in [FRESHBOOKS_CLIENT, FRESHBOOKS_INVOICE, FRESHBOOKS_PAYMENT, FRESHBOOKS_EXPENSE, SALESFORCE_ACCOUNT,
              SALESFORCE_CONTACT, SALESFORCE_OPPORTUNITY, SALESFORCE_LINE, INFOR_CUSTOMER, INFOR_SALES_ORDER,
              INFOR_PAYMENT, INFOR_GL_JOURNAL, SHOPIFY_ORDER, WOOCOMMERCE_ORDER]
}


def schema_for(system: str, obj: str) -> Schema | None:
    return SCHEMAS.get((system, obj))


def schema_example(schema: Schema) -> dict:
    """A sample record built from the examples (for suggestions and empty previews)."""
    out = {}
    for f in schema.fields.values():
        if f.type == "list" and f.children:
            out[f.name] = [{c.name: c.example for c in f.children.values() if c.example is not None}]
        elif f.children:
            out[f.name] = {c.name: c.example for c in f.children.values() if c.example is not None}
        elif f.example is not None:
            out[f.name] = f.example
    return out
